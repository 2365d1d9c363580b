import { Bench, type Fn } from 'tinybench';
import type { Measurement, RunOptions } from './scenario.js';

/**
 * Runs `tasks` in one tinybench `Bench` (so Lucent and its baseline share the same warm-up and machine state)
 * and returns ops/s for each, plus the mean latency in ns under `<name> latency`.
 */
export async function measureOps(tasks: Readonly<Record<string, Fn>>, options: RunOptions): Promise<Measurement[]> {
  const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(200, options.timeMs / 2) });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Measurement[] = [];
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state === 'errored') throw result.error;
    if (result.state !== 'completed') throw new Error(`bench task ${task.name} did not complete: ${result.state}`);
    out.push({
      name: task.name,
      value: result.throughput.mean,
      unit: 'ops/s',
      rme: result.throughput.rme,
      samples: result.throughput.samplesCount,
    });
    out.push({ name: `${task.name} latency`, value: result.latency.mean * 1e6, unit: 'ns' });
  }
  return out;
}

/** Median of a non-empty list (for measurements repeated by hand, e.g. throughput at N in flight). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
