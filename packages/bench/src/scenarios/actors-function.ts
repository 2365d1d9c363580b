/**
 * `actors/function`: xstate function actors against raw xstate, in one run.
 *
 * - Send throughput: one tinybench task is a burst of {@link BURST} `tell`s of an `assign` event to a running
 *   counter function actor, drained by an `ask` queued behind them; the baseline is the same number of
 *   `actor.send()` calls on a raw `createActor(machine).start()` actor (synchronous, no mailbox).
 * - Heap per idle actor: {@link ACTORS} counter actors that each handled one event, kept alive, measured as the
 *   `heapUsed` delta after a full GC; Lucent (kernel actor + host + directory entry + xstate actor) against the
 *   same number of raw started xstate actors. GC comes from `--expose-gc` or, failing that, is exposed at run time
 *   through `v8.setFlagsFromString('--expose-gc')`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createActorSystem, createFunctionActors, MemoryStateStore } from '@lucent/actors/internal';
import { type AnyActor, createActor } from 'xstate';
import { counter, counterMachine, INC } from '../fixtures/counter-actor.js';
import { measureOps, median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const BURST = 1_000;
const ACTORS = 10_000;
const HEAP_ROUNDS = 3;

/** A full GC, or `undefined` when none can be had. */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

async function settle(gc: (() => void) | undefined): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
  return process.memoryUsage().heapUsed;
}

/** Bytes per raw started xstate actor that handled one event. */
async function rawHeapPerActor(gc: (() => void) | undefined): Promise<number> {
  const before = await settle(gc);
  const actors: AnyActor[] = [];
  for (let i = 0; i < ACTORS; i++) {
    const actor = createActor(counterMachine).start();
    actor.send(INC);
    actors.push(actor);
  }
  const after = await settle(gc);
  for (const actor of actors) actor.stop();
  return (after - before) / ACTORS;
}

/** Bytes per idle function actor (activated, one event handled) in a fresh system and directory. */
async function lucentHeapPerActor(gc: (() => void) | undefined): Promise<number> {
  const before = await settle(gc);
  const system = createActorSystem({ name: 'heap' });
  const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter] });
  for (let i = 0; i < ACTORS; i++) actors.tell('counter', `c${i}`, INC);
  await actors.ask('counter', `c${ACTORS - 1}`, INC);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve)); // every first event handled
  const after = await settle(gc);
  const active = actors.activeCount;
  await actors.stopAll();
  await system.terminate();
  if (active !== ACTORS) throw new Error(`expected ${ACTORS} activations, found ${active}`);
  return (after - before) / ACTORS;
}

export const scenario: Scenario = {
  name: 'actors/function',
  suite: 'actors',
  async run(options) {
    const system = createActorSystem({ name: 'bench' });
    const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter] });
    const ref = actors.ref('counter', 'hot');
    await ref.ask(INC);
    const raw = createActor(counterMachine).start();
    const ops = await measureOps(
      {
        'lucent function actor tell': async () => {
          for (let i = 1; i < BURST; i++) ref.tell(INC);
          await ref.ask(INC);
        },
        'raw xstate send': () => {
          for (let i = 0; i < BURST; i++) raw.send(INC);
        },
      },
      options,
    );
    await actors.stopAll();
    await system.terminate();
    raw.stop();

    const gc = findGc();
    const heap = { lucent: [] as number[], raw: [] as number[] };
    for (let round = 0; round < HEAP_ROUNDS; round++) {
      heap.raw.push(await rawHeapPerActor(gc));
      heap.lucent.push(await lucentHeapPerActor(gc));
    }

    const measurements: Measurement[] = [
      ...ops
        .filter((m) => m.unit === 'ops/s')
        .map((m) => ({ ...m, name: `${m.name} (msgs/s)`, value: m.value * BURST, unit: 'msgs/s' as const })),
      { name: 'lucent heap per idle function actor', value: median(heap.lucent), unit: 'bytes', samples: HEAP_ROUNDS },
      { name: 'raw xstate heap per idle actor', value: median(heap.raw), unit: 'bytes', samples: HEAP_ROUNDS },
    ];
    return {
      measurements,
      ratios: [
        {
          name: 'send throughput lucent / raw xstate',
          of: 'lucent function actor tell (msgs/s)',
          to: 'raw xstate send (msgs/s)',
          goal: { op: '>=', value: 0.9 },
        },
        {
          name: 'heap per idle actor lucent / raw xstate',
          of: 'lucent heap per idle function actor',
          to: 'raw xstate heap per idle actor',
          goal: { op: '<=', value: 1.3 },
        },
      ],
      notes: [
        `Throughput: one task = ${BURST} events (Lucent: ${BURST - 1} tells + 1 ask that drains them), counter machine with one assign.`,
        `Heap: ${ACTORS} actors that each handled one event, heapUsed delta after GC, median of ${HEAP_ROUNDS} rounds; GC ${gc === undefined ? 'NOT available (numbers include garbage)' : 'available'}.`,
        'Lucent per actor = kernel cell (mailbox, context) + FunctionActorHost + persister + directory entry + xstate actor.',
      ],
    };
  },
};
