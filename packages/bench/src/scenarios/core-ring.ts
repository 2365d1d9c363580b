/**
 * core/ring: Lucent's consistent-hash ring against the `hashring` package (3.2.0) in one tinybench run: ns per
 * lookup at 3, 16 and 128 nodes on 100k distinct keys, cycled so hashring's 5000-key LRU cannot help (the
 * baseline's "uncached" row). Also measures ring build time and, by hand, the keys moved on a 3 -> 4 join.
 */
import { DEFAULT_VNODES_PER_WEIGHT, HashRing } from '@lucent/core/internal';
import HashRingPackage from 'hashring';
import { measureOps } from '../measure.js';
import type { Measurement, Ratio, Scenario, Target } from '../scenario.js';

const KEY_COUNT = 100_000;
// Lookups per tinybench iteration: amortizes the harness's own per-call cost (tens of ns) over many lookups.
const PER_ITERATION = 1000;
const SIZES = [3, 16, 128] as const;

const nodeIds = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);

/** Distinct keys shaped like real routing keys, as flat strings (as a decoded message would hold them). */
function makeKeys(): string[] {
  return Array.from({ length: KEY_COUNT }, (_, i) => Buffer.from(`order:${(i * 7919) % 1_000_003}:AAPL`).toString());
}

/** Keys whose owner differs between two lookups functions, and how many moved to `newcomer`. */
function moved(
  keys: readonly string[],
  before: (k: string) => unknown,
  after: (k: string) => unknown,
  newcomer: string,
) {
  let total = 0;
  let toNewcomer = 0;
  for (const key of keys) {
    const a = after(key);
    if (a !== before(key)) {
      total++;
      if (a === newcomer) toNewcomer++;
    }
  }
  return { total, toNewcomer };
}

export const scenario: Scenario = {
  name: 'core/ring',
  suite: 'core',
  async run(opts) {
    const keys = makeKeys();
    const tasks: Record<string, () => void> = {};
    let cursor = 0;
    let sink = 0;
    const builds: Measurement[] = [];
    for (const n of SIZES) {
      const t0 = process.hrtime.bigint();
      const lucent = new HashRing(nodeIds(n));
      lucent.owner('warm up: builds the points');
      builds.push({
        name: `lucent ring build, ${n} nodes`,
        value: Number(process.hrtime.bigint() - t0) / 1e3,
        unit: 'µs',
      });
      const raw = new HashRingPackage(nodeIds(n));
      tasks[`lucent owner(), ${n} nodes`] = () => {
        let i = cursor;
        for (let j = 0; j < PER_ITERATION; j++) {
          sink += lucent.owner(keys[i]!).length;
          i = i + 1 === KEY_COUNT ? 0 : i + 1;
        }
        cursor = i;
      };
      tasks[`hashring get(), ${n} nodes`] = () => {
        let i = cursor;
        for (let j = 0; j < PER_ITERATION; j++) {
          sink += raw.get(keys[i]!)!.length;
          i = i + 1 === KEY_COUNT ? 0 : i + 1;
        }
        cursor = i;
      };
    }
    const ops = await measureOps(tasks, opts);
    const measurements: Measurement[] = [];
    for (const name of Object.keys(tasks)) {
      const latency = ops.find((m) => m.name === `${name} latency`)!;
      measurements.push({ name: `${name} per lookup`, value: latency.value / PER_ITERATION, unit: 'ns' });
    }
    measurements.push(...builds);

    const ratios: Ratio[] = SIZES.map((n) => ({
      name: `lucent vs hashring speed-up, ${n} nodes`,
      of: `hashring get(), ${n} nodes per lookup`,
      to: `lucent owner(), ${n} nodes per lookup`,
      goal: { op: '>=', value: 10 },
    }));
    const targets: Target[] = [
      { name: 'lucent lookup at 128 nodes', measurement: 'lucent owner(), 128 nodes per lookup', op: '<=', value: 150 },
    ];

    const three = new HashRing(nodeIds(3));
    const four = new HashRing(nodeIds(4));
    const lucentMoved = moved(
      keys,
      (k) => three.owner(k),
      (k) => four.owner(k),
      'node-3',
    );
    const rawThree = new HashRingPackage(nodeIds(3));
    const rawFour = new HashRingPackage(nodeIds(4));
    const rawMoved = moved(
      keys,
      (k) => rawThree.get(k),
      (k) => rawFour.get(k),
      'node-3',
    );
    const notes = [
      `keys moved on a 3 -> 4 join (of ${KEY_COUNT}, ideal ${KEY_COUNT / 4}): lucent ${lucentMoved.total} ` +
        `(${lucentMoved.toNewcomer} to the new node), hashring ${rawMoved.total} (${rawMoved.toNewcomer} to the new node)`,
      `lucent: murmur3, ${DEFAULT_VNODES_PER_WEIGHT} vnodes per node, bucket-indexed binary search; hashring 3.2.0: ` +
        `md5 ketama, 160 points per node, LRU of 5000 keys (missed here: ${KEY_COUNT} keys cycled)`,
      `${PER_ITERATION} lookups per tinybench iteration; ns per lookup = iteration latency / ${PER_ITERATION} (sink ${sink > 0})`,
    ];
    return { measurements, ratios, targets, notes };
  },
};
