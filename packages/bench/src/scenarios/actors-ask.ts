/**
 * `actors/ask`: request/reply round trips through the Lucent kernel (promise, deadline tracking, mailbox,
 * drain) against a raw baseline in the same run: an array mailbox drained by `queueMicrotask` whose entries
 * carry the caller's `resolve` (a promise per call, no deadline). Sequential (1 in flight) and 100 in flight.
 * Lucent runs on the system clock here, so its deadlines are real (unref'd) Node timers, one armed at a time.
 */
import { createActorSystem } from '@lucent/actors/internal';
import { measureOps } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const IN_FLIGHT = 100;

/** The baseline: an actor without a kernel that answers `n + 1`. */
class RawReplier {
  private readonly queue: unknown[] = [];
  private scheduled = false;
  private readonly drainBound = (): void => this.drain();

  ask(n: number): Promise<number> {
    return new Promise((resolve) => {
      this.queue.push(n, resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.drainBound);
      }
    });
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const n = this.queue.shift() as number;
      const resolve = this.queue.shift() as (value: number) => void;
      resolve(n + 1);
    }
  }
}

/** The baseline with what a naive kernel adds: a Node timer per ask for its deadline, cleared on reply. */
function withTimerPerAsk(raw: RawReplier): (n: number) => Promise<number> {
  const onTimeout = (): void => {};
  return async (n) => {
    const timer = setTimeout(onTimeout, 5_000);
    try {
      return await raw.ask(n);
    } finally {
      clearTimeout(timer);
    }
  };
}

function inFlight(ask: (n: number) => Promise<unknown>): () => Promise<void> {
  const pending = new Array<Promise<unknown>>(IN_FLIGHT);
  return async () => {
    for (let i = 0; i < IN_FLIGHT; i++) pending[i] = ask(i);
    await Promise.all(pending);
  };
}

export const scenario: Scenario = {
  name: 'actors/ask',
  suite: 'actors',
  async run(options) {
    const system = createActorSystem({ name: 'bench' });
    const ref = system.spawn<number>({ receive: (n) => n + 1 });
    const raw = new RawReplier();
    const lucentAsk = (n: number) => ref.ask<number>(n, { timeoutMs: 5_000 });
    const rawAsk = (n: number) => raw.ask(n);
    const timedAsk = withTimerPerAsk(raw);
    const ops = await measureOps(
      {
        'lucent ask, sequential': async () => {
          await lucentAsk(1);
        },
        'raw promise round trip, sequential': async () => {
          await rawAsk(1);
        },
        'raw round trip + timer per ask, sequential': async () => {
          await timedAsk(1);
        },
        'lucent ask, 100 in flight': inFlight(lucentAsk),
        'raw promise round trip, 100 in flight': inFlight(rawAsk),
        'raw round trip + timer per ask, 100 in flight': inFlight(timedAsk),
      },
      options,
    );
    await system.terminate();
    const measurements: Measurement[] = ops
      .filter((m) => m.unit === 'ops/s')
      .map((m) => {
        const perOp = m.name.endsWith('in flight') ? IN_FLIGHT : 1;
        return { ...m, name: `${m.name} (asks/s)`, value: m.value * perOp, unit: 'calls/s' as const };
      });
    return {
      measurements,
      ratios: [
        {
          name: 'lucent / raw, sequential',
          of: 'lucent ask, sequential (asks/s)',
          to: 'raw promise round trip, sequential (asks/s)',
        },
        {
          name: 'lucent / raw + timer per ask, sequential',
          of: 'lucent ask, sequential (asks/s)',
          to: 'raw round trip + timer per ask, sequential (asks/s)',
        },
        {
          name: 'lucent / raw + timer per ask, 100 in flight',
          of: 'lucent ask, 100 in flight (asks/s)',
          to: 'raw round trip + timer per ask, 100 in flight (asks/s)',
        },
        {
          name: 'lucent / raw, 100 in flight',
          of: 'lucent ask, 100 in flight (asks/s)',
          to: 'raw promise round trip, 100 in flight (asks/s)',
        },
      ],
      notes: [
        'Behavior: (n) => n + 1. Lucent asks carry a 5 s deadline (tracked in one sorted list, one clock timer).',
        'Baseline: array mailbox + queueMicrotask drain, entries carry resolve; no deadline, no supervision.',
        '"+ timer per ask": the same baseline with a setTimeout/clearTimeout per ask, the naive way to bound it.',
      ],
    };
  },
};
