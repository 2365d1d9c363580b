/**
 * What a chaos run counts, as pure functions of what it recorded: the load's acknowledged operations, the final
 * state of every account, the events seen handled and the fault windows. No I/O, no clock: unit-tested apart.
 *
 * ```
 * lost             acked deposit ids missing from their account's `applied` list     must be 0
 * doubleApplied    ids present more than once in an `applied` list                    must be 0
 * unhandledEvents  events whose emit was acknowledged but never seen handled          must be 0
 * failedOutside    failed asks/calls/emits that overlap no fault window               must be 0
 * failedInWindow   failures during a kill, pause or NATS restart (expected)
 * ```
 */

/** A time interval in ms (the run's monotonic clock), both ends included. */
export interface Interval {
  readonly startMs: number;
  readonly endMs: number;
}

/** A fault the run injected, with the window in which failures are expected. */
export interface FaultWindow extends Interval {
  readonly kind: 'kill' | 'pause' | 'nats-restart' | 'nats-crash';
  readonly target: string;
}

/** One failed operation of the load. */
export interface FailedOp extends Interval {
  readonly op: 'deposit' | 'call' | 'emit';
  readonly code: string;
}

/** The final state of one account as read back at the end (or `undefined` if it could not be read). */
export interface AccountReadback {
  readonly id: string;
  readonly state: { readonly balance: number; readonly applied: readonly string[] } | undefined;
}

/** The counts a chaos run reports. */
export interface ChaosCounts {
  readonly ackedDeposits: number;
  readonly lost: number;
  /**
   * Lost deposits by the last fault that had started when they were acknowledged (`before-first-fault`: acked before any):
   * which fault loses what.
   */
  readonly lostAfter: Readonly<Record<string, number>>;
  readonly doubleApplied: number;
  /** Accounts whose balance differs from the sum of the deposits they list (corrupt state). */
  readonly inconsistentAccounts: number;
  /** Accounts that could not be read at the end. */
  readonly unreadableAccounts: number;
  readonly ackedEvents: number;
  readonly unhandledEvents: number;
  /** Events handled more than once (allowed: delivery is at-least-once). */
  readonly eventsHandledTwice: number;
  readonly failedDeposits: number;
  readonly failedCalls: number;
  readonly failedEmits: number;
  readonly failedInWindow: number;
  readonly failedOutsideWindows: number;
}

/** The inputs of {@link tallyChaos}. */
export interface ChaosRecord {
  /** Acknowledged deposits: id → account id, amount and when the ask resolved. */
  readonly ackedDeposits: ReadonlyMap<
    string,
    { readonly account: string; readonly amount: number; readonly atMs: number }
  >;
  /** Amount of every deposit ever sent (acked or not), to check balances. */
  readonly sentAmounts: ReadonlyMap<string, number>;
  readonly accounts: readonly AccountReadback[];
  readonly ackedEvents: ReadonlySet<string>;
  /** Event id → how many times it was seen handled. */
  readonly handledEvents: ReadonlyMap<string, number>;
  readonly failures: readonly FailedOp[];
  readonly windows: readonly FaultWindow[];
}

/** True when `a` and `b` overlap. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.startMs <= b.endMs && b.startMs <= a.endMs;
}

/** The kind of the last window started at or before `atMs`, or `before-first-fault`. */
function lastStartedBefore(windows: readonly FaultWindow[], atMs: number): string {
  let last: FaultWindow | undefined;
  for (const window of windows)
    if (window.startMs <= atMs && (last === undefined || window.startMs > last.startMs)) last = window;
  return last?.kind ?? 'before-first-fault';
}

/** Counts everything {@link ChaosCounts} lists. */
export function tallyChaos(record: ChaosRecord): ChaosCounts {
  const appliedBy = new Map<string, Map<string, number>>();
  let doubleApplied = 0;
  let inconsistentAccounts = 0;
  let unreadableAccounts = 0;
  for (const account of record.accounts) {
    if (account.state === undefined) {
      unreadableAccounts++;
      continue;
    }
    const times = new Map<string, number>();
    let sum = 0;
    for (const id of account.state.applied) {
      const seen = (times.get(id) ?? 0) + 1;
      times.set(id, seen);
      if (seen === 2) doubleApplied++;
      sum += record.sentAmounts.get(id) ?? Number.NaN;
    }
    if (sum !== account.state.balance) inconsistentAccounts++;
    appliedBy.set(account.id, times);
  }
  let lost = 0;
  const lostAfter: Record<string, number> = {};
  for (const [id, deposit] of record.ackedDeposits) {
    const applied = appliedBy.get(deposit.account);
    // An unreadable account is counted apart, not as lost deposits.
    if (applied === undefined || applied.has(id)) continue;
    lost++;
    const fault = lastStartedBefore(record.windows, deposit.atMs);
    lostAfter[fault] = (lostAfter[fault] ?? 0) + 1;
  }
  let unhandledEvents = 0;
  for (const id of record.ackedEvents) if (!record.handledEvents.has(id)) unhandledEvents++;
  let eventsHandledTwice = 0;
  for (const times of record.handledEvents.values()) if (times > 1) eventsHandledTwice++;
  let failedInWindow = 0;
  const byOp = { deposit: 0, call: 0, emit: 0 };
  for (const failure of record.failures) {
    byOp[failure.op]++;
    if (record.windows.some((window) => overlaps(failure, window))) failedInWindow++;
  }
  return {
    ackedDeposits: record.ackedDeposits.size,
    lost,
    lostAfter,
    doubleApplied,
    inconsistentAccounts,
    unreadableAccounts,
    ackedEvents: record.ackedEvents.size,
    unhandledEvents,
    eventsHandledTwice,
    failedDeposits: byOp.deposit,
    failedCalls: byOp.call,
    failedEmits: byOp.emit,
    failedInWindow,
    failedOutsideWindows: record.failures.length - failedInWindow,
  };
}

/** The counts that must be 0 for a run to pass, by name; empty when it passed. */
export function chaosViolations(counts: ChaosCounts): string[] {
  const must: (keyof ChaosCounts)[] = [
    'lost',
    'doubleApplied',
    'inconsistentAccounts',
    'unreadableAccounts',
    'unhandledEvents',
    'failedOutsideWindows',
  ];
  return must.filter((key) => counts[key] !== 0).map((key) => `${key}=${counts[key]}`);
}

/** The `q` quantile (0..1) of `values` (nearest rank); 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
