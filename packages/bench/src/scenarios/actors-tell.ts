/**
 * `actors/tell`: plain-behavior `tell` throughput of the Lucent kernel against a raw baseline in the same run:
 * an array mailbox drained by `queueMicrotask` with `Array#shift`, no kernel (`baselines.md` §9 measured
 * 1.9–2.6M msgs/s for it). One tinybench task is a burst of {@link BURST} tells followed by awaiting the
 * drain (`await null` until every message is counted), so the rate includes the scheduling of the drains.
 */

import type { ActorRef } from '@lucent/actors/internal';
import { createActorSystem } from '@lucent/actors/internal';
import { measureOps } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const BURST = 10_000;
const MANY = 1_000;

let received = 0;
const count = (): void => {
  received++;
};

/** The baseline: what an actor is without a kernel. */
class RawActor {
  private readonly queue: unknown[] = [];
  private scheduled = false;
  private readonly drainBound = (): void => this.drain();

  constructor(private readonly handle: (message: unknown) => void) {}

  tell(message: unknown): void {
    this.queue.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drainBound);
    }
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0) this.handle(this.queue.shift());
  }
}

async function untilReceived(target: number): Promise<void> {
  while (received < target) await null;
}

function burstOne(ref: { tell(message: number): void }): () => Promise<void> {
  return async () => {
    const target = received + BURST;
    for (let i = 0; i < BURST; i++) ref.tell(i);
    await untilReceived(target);
  };
}

function burstMany(refs: readonly { tell(message: number): void }[]): () => Promise<void> {
  return async () => {
    const target = received + BURST;
    for (let i = 0; i < BURST; i++) refs[i % MANY]!.tell(i);
    await untilReceived(target);
  };
}

export const scenario: Scenario = {
  name: 'actors/tell',
  suite: 'actors',
  async run(options) {
    const system = createActorSystem({ name: 'bench' });
    const behavior = { receive: count };
    const one: ActorRef<number> = system.spawn<number>(behavior);
    const many = Array.from({ length: MANY }, () => system.spawn<number>(behavior));
    const rawOne = new RawActor(count);
    const rawMany = Array.from({ length: MANY }, () => new RawActor(count));
    const ops = await measureOps(
      {
        'lucent tell, 1 actor': burstOne(one),
        'raw array+microtask, 1 actor': burstOne(rawOne),
        'lucent tell, 1k actors': burstMany(many),
        'raw array+microtask, 1k actors': burstMany(rawMany),
      },
      options,
    );
    await system.terminate();
    const measurements: Measurement[] = ops
      .filter((m) => m.unit === 'ops/s')
      .map((m) => ({ ...m, name: `${m.name} (msgs/s)`, value: m.value * BURST, unit: 'msgs/s' as const }));
    return {
      measurements,
      ratios: [
        {
          name: 'lucent / raw, 1 actor',
          of: 'lucent tell, 1 actor (msgs/s)',
          to: 'raw array+microtask, 1 actor (msgs/s)',
        },
        {
          name: 'lucent / raw, 1k actors',
          of: 'lucent tell, 1k actors (msgs/s)',
          to: 'raw array+microtask, 1k actors (msgs/s)',
        },
      ],
      targets: [
        { name: 'tell, 1 actor', measurement: 'lucent tell, 1 actor (msgs/s)', op: '>=', value: 5_000_000 },
        { name: 'tell, 1k actors', measurement: 'lucent tell, 1k actors (msgs/s)', op: '>=', value: 5_000_000 },
      ],
      notes: [
        `One task = a burst of ${BURST} tells (1k actors: round robin, ${BURST / MANY} each) then awaiting the drain.`,
        'Baseline: array mailbox + queueMicrotask drain with Array#shift and no kernel, same handler.',
      ],
    };
  },
};
