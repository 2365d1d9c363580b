/**
 * `actors/activation`: how fast function actors come to life, against raw xstate in the same run.
 *
 * - Activation: {@link BATCH} new `(type, id)`s each get their first message (an ask): directory miss, kernel
 *   spawn, store load (nothing stored), `createActor` + `start`, the event, the reply.
 *   Baseline: `createActor(machine).start()` + `send` for as many actors.
 * - Reactivation: the same ids, stopped (final snapshot saved) and asked again (snapshot loaded and restored).
 *
 * Hand-measured in alternating rounds (order flipped each round); actors are stopped between rounds outside the
 * timed part, so the heap does not grow with the run.
 */
import { performance } from 'node:perf_hooks';
import { createActorSystem, createFunctionActors, MemoryStateStore } from '@lucent/actors/internal';
import { type AnyActor, createActor } from 'xstate';
import { counter, counterMachine, INC } from '../fixtures/counter-actor.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const BATCH = 2_000;

interface Round {
  activation: number;
  reactivation: number;
  raw: number;
}

async function lucentRound(round: number): Promise<Omit<Round, 'raw'>> {
  const system = createActorSystem({ name: 'activation' });
  const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter] });
  const ids = Array.from({ length: BATCH }, (_, i) => `r${round}-${i}`);
  let t0 = performance.now();
  await Promise.all(ids.map((id) => actors.ask('counter', id, INC)));
  const activation = BATCH / ((performance.now() - t0) / 1000);
  await actors.stopAll(); // saves every snapshot (untimed)
  t0 = performance.now();
  await Promise.all(ids.map((id) => actors.ask('counter', id, INC)));
  const reactivation = BATCH / ((performance.now() - t0) / 1000);
  await actors.stopAll();
  await system.terminate();
  return { activation, reactivation };
}

function rawRound(): number {
  const actors: AnyActor[] = new Array(BATCH);
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) {
    const actor = createActor(counterMachine).start();
    actor.send(INC);
    actors[i] = actor;
  }
  const rate = BATCH / ((performance.now() - t0) / 1000);
  for (const actor of actors) actor.stop();
  return rate;
}

export const scenario: Scenario = {
  name: 'actors/activation',
  suite: 'actors',
  async run(options) {
    const rounds: Round[] = [];
    const until = performance.now() + Math.max(options.timeMs * 2, 500);
    for (let round = 0; round < 3 || (performance.now() < until && round < 30); round++) {
      if (round % 2 === 0) {
        const raw = rawRound();
        rounds.push({ ...(await lucentRound(round)), raw });
      } else {
        const lucent = await lucentRound(round);
        rounds.push({ ...lucent, raw: rawRound() });
      }
    }
    const measurements: Measurement[] = [
      {
        name: 'lucent activation + first ask',
        value: median(rounds.map((r) => r.activation)),
        unit: 'ops/s',
        samples: rounds.length,
      },
      {
        name: 'lucent reactivation from snapshot + ask',
        value: median(rounds.map((r) => r.reactivation)),
        unit: 'ops/s',
        samples: rounds.length,
      },
      {
        name: 'raw xstate createActor+start+send',
        value: median(rounds.map((r) => r.raw)),
        unit: 'ops/s',
        samples: rounds.length,
      },
    ];
    return {
      measurements,
      ratios: [
        {
          name: 'activation lucent / raw xstate',
          of: 'lucent activation + first ask',
          to: 'raw xstate createActor+start+send',
        },
        {
          name: 'reactivation lucent / raw xstate',
          of: 'lucent reactivation from snapshot + ask',
          to: 'raw xstate createActor+start+send',
        },
      ],
      notes: [
        `${BATCH} activations per round, all asks in flight at once; median over ${rounds.length} rounds.`,
        'Lucent includes the kernel spawn, a MemoryStateStore load (structured clone on reactivation) and the ask reply.',
      ],
    };
  },
};
