/**
 * `actors/queue`: the mailbox queue ({@link RingQueue}) against a plain array used as a queue
 * (`push` + `Array#shift`), in one run. Two shapes: a steady queue (1 000 items deep, push one / shift one)
 * and bursts (push 10 000, then shift them all), the pattern of a mailbox under load.
 */
import { RingQueue } from '@lucent/actors/internal';
import { measureOps } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const DEPTH = 1_000;
const OPS = 1_000;
const BURST = 10_000;

interface Queue {
  push(item: number): void;
  shift(): number | undefined;
}

let sink = 0;

function steady(queue: Queue): () => void {
  for (let i = 0; i < DEPTH; i++) queue.push(i);
  return () => {
    for (let i = 0; i < OPS; i++) {
      queue.push(i);
      sink += queue.shift()!;
    }
  };
}

function burst(queue: Queue): () => void {
  return () => {
    for (let i = 0; i < BURST; i++) queue.push(i);
    for (let i = 0; i < BURST; i++) sink += queue.shift()!;
  };
}

export const scenario: Scenario = {
  name: 'actors/queue',
  suite: 'actors',
  async run(options) {
    const ops = await measureOps(
      {
        'ring, steady 1k deep': steady(new RingQueue<number>(16)),
        'array, steady 1k deep': steady([] as number[]),
        'ring, bursts of 10k': burst(new RingQueue<number>(16)),
        'array, bursts of 10k': burst([] as number[]),
      },
      options,
    );
    const perTask: Record<string, number> = { steady: OPS, bursts: BURST };
    const measurements: Measurement[] = ops
      .filter((m) => m.unit === 'ops/s')
      .map((m) => ({
        ...m,
        name: `${m.name} (push+shift/s)`,
        value: m.value * (m.name.includes('steady') ? perTask.steady! : perTask.bursts!),
      }));
    return {
      measurements,
      ratios: [
        {
          name: 'ring / array, steady',
          of: 'ring, steady 1k deep (push+shift/s)',
          to: 'array, steady 1k deep (push+shift/s)',
          goal: { op: '>=', value: 1 },
        },
        {
          name: 'ring / array, bursts',
          of: 'ring, bursts of 10k (push+shift/s)',
          to: 'array, bursts of 10k (push+shift/s)',
          goal: { op: '>=', value: 1 },
        },
      ],
      notes: [`checksum ${sink > 0 ? 'ok' : 'zero'}; the array queue uses Array#shift, which V8 left-trims.`],
    };
  },
};
