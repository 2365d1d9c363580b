/**
 * core/placement: what deciding where a call goes costs, per strategy, in one tinybench run: `placeFunction` for
 * `hash(k)` (today's `shardBy`), `roundRobin()` and `leastLoaded()`, on 3 members that all host the function (the
 * view itself is the candidate list) and on 3 members of which 2 host it (the hosts' view, cached per view). The
 * remote side of the same question is `node/routing`; this one has no I/O, so it is steady on a loaded machine.
 */
import {
  type ClusterMember,
  createClusterView,
  defineFunction,
  type FunctionDefinition,
  hash,
  type LoadReport,
  leastLoaded,
  placeFunction,
  RoutingStates,
  roundRobin,
} from '@lucent/core/internal';
import { measureOps } from '../measure.js';
import type { Measurement, Ratio, Scenario } from '../scenario.js';

// Placements per tinybench iteration: amortizes the harness's own per-call cost over many decisions.
const PER_ITERATION = 1000;
/** Distinct keys, built once (a decoded input holds its key as a string already). */
const KEYS = Array.from({ length: 1024 }, (_, i) => `k${i}`);
const LOAD: LoadReport = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };

const addOne = (_ctx: unknown, input: { k: string; x: number }): number => input.x + 1;
const STRATEGIES: readonly [string, FunctionDefinition][] = [
  ['hash', defineFunction({ name: 'f', routing: hash('k') }, addOne)],
  ['roundRobin', defineFunction({ name: 'f', routing: roundRobin() }, addOne)],
  ['leastLoaded', defineFunction({ name: 'f', routing: leastLoaded() }, addOne)],
];
const member = (id: string, modules: string[]): ClusterMember => ({ id, tags: [], load: LOAD, modules });
const VIEWS = [
  ['3 hosts', createClusterView(['n1', 'n2', 'n3'].map((id) => member(id, ['fn:f@1'])))],
  ['2 hosts of 3', createClusterView([member('n1', ['fn:f@1']), member('n2', ['fn:g@1']), member('n3', ['fn:f@1'])])],
] as const;

export const scenario: Scenario = {
  name: 'core/placement',
  suite: 'core',
  async run(opts) {
    const tasks: Record<string, () => void> = {};
    const states = new RoutingStates();
    let sink = 0;
    let x = 0;
    for (const [viewLabel, view] of VIEWS) {
      for (const [label, definition] of STRATEGIES) {
        tasks[`${label}, ${viewLabel}`] = () => {
          for (let j = 0; j < PER_ITERATION; j++) {
            x++;
            sink += placeFunction(definition, { k: KEYS[x & 1023]!, x }, view, states).type.length;
          }
        };
      }
    }
    const ops = await measureOps(tasks, opts);
    if (sink === 0) throw new Error('core/placement: nothing was placed');
    const measurements: Measurement[] = [];
    for (const name of Object.keys(tasks)) {
      const m = ops.find((o) => o.name === name)!;
      // ops/s of PER_ITERATION placements -> ns per placement.
      const perCall: Measurement = { name: `${name}, per call`, value: 1e9 / (m.value * PER_ITERATION), unit: 'ns' };
      measurements.push(m.rme === undefined ? perCall : { ...perCall, rme: m.rme });
    }
    const ratios: Ratio[] = VIEWS.flatMap(([viewLabel]) =>
      ['roundRobin', 'leastLoaded'].map((label) => ({
        name: `${label} / hash time per call, ${viewLabel}`,
        of: `${label}, ${viewLabel}, per call`,
        to: `hash, ${viewLabel}, per call`,
      })),
    );
    return {
      measurements,
      ratios,
      notes: [
        `placeFunction with a fresh input object per call (as a client builds one), ${PER_ITERATION} per iteration.`,
      ],
    };
  },
};
