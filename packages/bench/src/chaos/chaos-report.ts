/** The chaos run's output: a summary table (Markdown) and one JSON line. */
import type { ChaosResult } from './chaos-run.js';

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);

/** The summary table: every count, with `must be 0` where it must. */
export function chaosTable(result: ChaosResult): string {
  const { counts, options } = result;
  const rows: [string, string | number, string][] = [
    ['acked deposits', counts.ackedDeposits, ''],
    ['acked updates lost', counts.lost, 'must be 0'],
    ...Object.entries(counts.lostAfter).map(([fault, n]): [string, number, string] => [
      fault === 'before-first-fault'
        ? '  of which acked before the first fault'
        : `  of which acked after the last ${fault}`,
      n,
      '',
    ]),
    ['double-applied deposits', counts.doubleApplied, 'must be 0'],
    ['accounts with an inconsistent balance', counts.inconsistentAccounts, 'must be 0'],
    ['accounts unreadable at the end', counts.unreadableAccounts, 'must be 0'],
    ['acked events', counts.ackedEvents, ''],
    ['acked events never handled', counts.unhandledEvents, 'must be 0'],
    ['events handled more than once', counts.eventsHandledTwice, 'allowed (at-least-once)'],
    ['failed deposits / calls / emits', `${counts.failedDeposits} / ${counts.failedCalls} / ${counts.failedEmits}`, ''],
    ['failed, inside a fault window', counts.failedInWindow, 'expected'],
    ['failed, outside every fault window', counts.failedOutsideWindows, 'must be 0'],
    ['node processes that crashed', result.unexpectedExits.length, 'must be 0'],
    [`failover after kill -9, p50 (${result.cycles.length} cycles)`, ms(result.failoverP50Ms), 'goal <= 3000 ms'],
    ['failover after kill -9, max', ms(result.failoverMaxMs), ''],
  ];
  if (result.pause !== undefined) {
    rows.push([
      `SIGSTOP ${result.pause.node} ${result.pause.pausedMs} ms: actors answered elsewhere`,
      ms(result.pause.failoverMs),
      '',
    ]);
  }
  if (result.nats !== undefined)
    rows.push([`NATS ${result.nats.server} kill -9 + restart: nodes back`, ms(result.nats.outageMs), '']);
  const sent = result.sent;
  const header =
    `Chaos: ${options.nodes} nodes, ${options.cycles} kill -9 cycles, ${options.actors} accounts (persist: ${options.persist}), ` +
    `${options.natsCluster ? `${options.natsServers}-server NATS cluster (replicas ${Math.min(3, options.natsServers)})` : 'one nats-server'}, ` +
    `seed ${options.seed}; sent ${sent.deposits} deposits, ${sent.emits} events, ${sent.calls} calls in ${Math.round(result.durationMs / 1000)} s`;
  const lines = [
    '| measure | value | |',
    '|---|---:|---|',
    ...rows.map(([name, value, note]) => `| ${name} | ${value} | ${note} |`),
  ];
  const verdict =
    result.violations.length === 0 ? 'PASS: every count that must be 0 is 0' : `FAIL: ${result.violations.join(', ')}`;
  return `${header}\n\n${lines.join('\n')}\n\n${verdict}\n`;
}

/** One line of JSON (`{"chaos":{…}}`) with the counts, the per-cycle failover times and the options. */
export function chaosJsonLine(result: ChaosResult): string {
  return JSON.stringify({
    chaos: {
      pass: result.violations.length === 0,
      violations: result.violations,
      counts: result.counts,
      failoverP50Ms: Math.round(result.failoverP50Ms),
      failoverMaxMs: Math.round(result.failoverMaxMs),
      cycles: result.cycles.map((c) => ({
        ...c,
        failoverMs: roundOrNull(c.failoverMs),
        restartMs: Math.round(c.restartMs),
      })),
      pause: result.pause === undefined ? null : { ...result.pause, failoverMs: roundOrNull(result.pause.failoverMs) },
      nats: result.nats === undefined ? null : { ...result.nats, outageMs: Math.round(result.nats.outageMs) },
      sent: result.sent,
      unexpectedExits: result.unexpectedExits,
      durationMs: Math.round(result.durationMs),
      options: result.options,
    },
  });
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
