import { ConfigError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAOS_OPTIONS, HELP_REQUESTED, parseChaosOptions } from '../src/chaos/chaos-options.js';
import { SeededRandom } from '../src/chaos/chaos-random.js';
import { type ChaosRecord, chaosViolations, overlaps, quantile, tallyChaos } from '../src/chaos/chaos-tally.js';

function record(overrides: Partial<ChaosRecord> = {}): ChaosRecord {
  return {
    ackedDeposits: new Map([
      ['d-1', { account: 'a-0', amount: 2, atMs: 10 }],
      ['d-2', { account: 'a-0', amount: 3, atMs: 150 }],
      ['d-3', { account: 'a-1', amount: 4, atMs: 20 }],
    ]),
    sentAmounts: new Map([
      ['d-1', 2],
      ['d-2', 3],
      ['d-3', 4],
      ['d-4', 5],
    ]),
    accounts: [
      { id: 'a-0', state: { balance: 5, applied: ['d-1', 'd-2'] } },
      // d-4 was applied but its ask failed: not lost, not double.
      { id: 'a-1', state: { balance: 9, applied: ['d-3', 'd-4'] } },
    ],
    ackedEvents: new Set(['e-1', 'e-2']),
    handledEvents: new Map([
      ['e-1', 1],
      ['e-2', 1],
    ]),
    failures: [],
    windows: [],
    ...overrides,
  };
}

describe('tallyChaos', () => {
  it('counts nothing wrong when every acked deposit and event is there once', () => {
    const counts = tallyChaos(record());
    expect(counts).toMatchObject({ ackedDeposits: 3, lost: 0, doubleApplied: 0, unhandledEvents: 0 });
    expect(chaosViolations(counts)).toEqual([]);
  });

  it('counts an acked deposit missing from its account as lost', () => {
    const counts = tallyChaos(
      record({
        accounts: [
          { id: 'a-0', state: { balance: 2, applied: ['d-1'] } },
          { id: 'a-1', state: { balance: 4, applied: ['d-3'] } },
        ],
      }),
    );
    expect(counts.lost).toBe(1);
    expect(counts.lostAfter).toEqual({ 'before-first-fault': 1 });
    expect(chaosViolations(counts)).toEqual(['lost=1']);
    const windows = [
      { kind: 'kill' as const, target: 'n1', startMs: 100, endMs: 120 },
      { kind: 'pause' as const, target: 'n2', startMs: 140, endMs: 200 },
    ];
    const attributed = tallyChaos(
      record({ windows, accounts: [{ id: 'a-0', state: { balance: 2, applied: ['d-1'] } }] }),
    );
    expect(attributed.lostAfter).toEqual({ pause: 1 });
  });

  it('counts an id applied twice as double-applied, with a consistent balance', () => {
    const accounts = [
      { id: 'a-0', state: { balance: 7, applied: ['d-1', 'd-2', 'd-1'] } },
      { id: 'a-1', state: { balance: 4, applied: ['d-3'] } },
    ];
    const counts = tallyChaos(record({ accounts }));
    expect(counts).toMatchObject({ doubleApplied: 1, inconsistentAccounts: 0, lost: 0 });
  });

  it('flags a balance that does not match the deposits listed, and unreadable accounts apart from lost', () => {
    const accounts = [
      { id: 'a-0', state: { balance: 6, applied: ['d-1', 'd-2'] } },
      { id: 'a-1', state: undefined },
    ];
    const counts = tallyChaos(record({ accounts }));
    expect(counts).toMatchObject({ inconsistentAccounts: 1, unreadableAccounts: 1, lost: 0 });
  });

  it('counts acked events never handled, and events handled twice only as information', () => {
    const counts = tallyChaos(record({ handledEvents: new Map([['e-1', 2]]) }));
    expect(counts).toMatchObject({ unhandledEvents: 1, eventsHandledTwice: 1 });
    expect(chaosViolations(counts)).toEqual(['unhandledEvents=1']);
  });

  it('splits failures into inside and outside the fault windows', () => {
    const counts = tallyChaos(
      record({
        windows: [{ kind: 'kill', target: 'n1', startMs: 100, endMs: 200 }],
        failures: [
          { op: 'deposit', code: 'LUCENT_TIMEOUT', startMs: 50, endMs: 120 },
          { op: 'call', code: 'X', startMs: 200, endMs: 210 },
          { op: 'emit', code: 'X', startMs: 300, endMs: 310 },
        ],
      }),
    );
    expect(counts).toMatchObject({
      failedDeposits: 1,
      failedCalls: 1,
      failedEmits: 1,
      failedInWindow: 2,
      failedOutsideWindows: 1,
    });
  });

  it('overlaps and quantile', () => {
    expect(overlaps({ startMs: 0, endMs: 1 }, { startMs: 1, endMs: 2 })).toBe(true);
    expect(overlaps({ startMs: 0, endMs: 1 }, { startMs: 2, endMs: 3 })).toBe(false);
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 3], 1)).toBe(5);
  });
});

describe('parseChaosOptions', () => {
  it('applies defaults and reads every kind of option', () => {
    expect(parseChaosOptions([])).toEqual(DEFAULT_CHAOS_OPTIONS);
    const options = parseChaosOptions([
      '--cycles',
      '4',
      '--nats-cluster',
      '--no-nats-restart',
      '--persist',
      'write-behind',
      '--heartbeat-ms',
      '250',
      '--node-arg=--lease-ttl-ms=3000',
    ]);
    expect(options).toMatchObject({
      cycles: 4,
      natsCluster: true,
      natsRestart: false,
      persist: 'write-behind',
      heartbeatMs: 250,
      nodeArgs: ['--lease-ttl-ms=3000'],
    });
    expect(parseChaosOptions(['--help'])).toBe(HELP_REQUESTED);
  });

  it('rejects bad values with ConfigError naming the option', () => {
    for (const [args, field] of [
      [['--cycles=-1'], 'cycles'],
      [['--nodes', '1'], 'nodes'],
      [['--persist', 'never'], 'persist'],
      [['--bogus'], 'args'],
    ] as const) {
      let caught: unknown;
      try {
        parseChaosOptions(args);
      } catch (error) {
        caught = error;
      }
      expect(ConfigError.is(caught)).toBe(true);
      expect((caught as ConfigError).details.field).toBe(field);
    }
  });
});

describe('SeededRandom', () => {
  it('replays the same sequence for the same seed', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const xs = Array.from({ length: 5 }, () => a.int(100));
    expect(Array.from({ length: 5 }, () => b.int(100))).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 100)).toBe(true);
  });
});
