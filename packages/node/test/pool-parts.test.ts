/** The pure parts of the function pool: batch sizing, the run-time estimate, the deque, lanes, module lookup. */
import { pathToFileURL } from 'node:url';
import { defineFunction } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextBatchSize } from '../src/pool/batcher.js';
import { Deque } from '../src/pool/deque.js';
import { Lane } from '../src/pool/lane.js';
import { RunEstimator } from '../src/pool/run-estimator.js';
import { TaskAbortHandle } from '../src/pool/task-abort-handle.js';
import { defaultWorkerFilename, toModuleUrl } from '../src/pool/worker-location.js';

const limits = { maxBatchSize: 128, maxBatchEstimateMs: 1 };

describe('nextBatchSize', () => {
  it('sends one call while the cost of a function is unknown', () => {
    expect(nextBatchSize(50, Number.NaN, limits)).toBe(1);
  });
  it('fits the batch into the estimate budget', () => {
    expect(nextBatchSize(500, 0.1, limits)).toBe(10);
    expect(nextBatchSize(500, 0.001, limits)).toBe(128);
  });
  it('runs a call estimated over the budget alone', () => {
    expect(nextBatchSize(500, 5, limits)).toBe(1);
  });
  it('never takes more than are queued, and nothing from an empty queue', () => {
    expect(nextBatchSize(3, 0.001, limits)).toBe(3);
    expect(nextBatchSize(0, 0.001, limits)).toBe(0);
  });
  it('treats a zero estimate as cheap, not as a division by zero', () => {
    expect(nextBatchSize(500, 0, limits)).toBe(128);
  });
  it('stays within [1, min(queued, maxBatchSize)] for any estimate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }), (q, e) => {
        const size = nextBatchSize(q, e, limits);
        return size >= 1 && size <= Math.min(q, limits.maxBatchSize);
      }),
    );
  });
});

describe('RunEstimator', () => {
  it('is unknown until the first batch, then takes its per-call time', () => {
    const e = new RunEstimator(0.5);
    expect(Number.isNaN(e.perCallMs)).toBe(true);
    e.record(10, 100);
    expect(e.perCallMs).toBeCloseTo(0.1);
    expect(e.samples).toBe(1);
  });
  it('moves toward new samples by alpha', () => {
    const e = new RunEstimator(0.5);
    e.record(1, 1);
    e.record(3, 1);
    expect(e.perCallMs).toBeCloseTo(2);
  });
  it('ignores empty batches and impossible times', () => {
    const e = new RunEstimator();
    e.record(1, 0);
    e.record(Number.NaN, 3);
    e.record(-1, 3);
    expect(e.samples).toBe(0);
  });
});

describe('Deque', () => {
  it('behaves like an array used as a double-ended queue', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('unshift' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('shift' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const deque = new Deque<number>(2);
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            deque.push(o.value);
            model.push(o.value);
          } else if (o.kind === 'unshift') {
            deque.unshift(o.value);
            model.unshift(o.value);
          } else if (deque.shift() !== model.shift()) {
            return false;
          }
          if (deque.size !== model.length || deque.peek() !== model[0]) return false;
        }
        return true;
      }),
    );
  });
});

describe('Lane', () => {
  it("takes its limits from the definition's resources and retry policy", () => {
    const lane = new Lane(
      defineFunction(
        {
          name: 'f',
          version: '3',
          resources: { timeoutMs: 250 },
          retry: { maxAttempts: 5, backoffMs: 100, multiplier: 2, maxBackoffMs: 300 },
        },
        () => 0,
      ),
    );
    expect([lane.id, lane.name, lane.timeoutMs, lane.maxAttempts]).toEqual(['f@3', 'f', 250, 5]);
    expect([1, 2, 3, 4].map((n) => lane.retryDelayMs(n))).toEqual([0, 100, 200, 300]);
  });
  it('reads a timeout of 0 as none', () => {
    expect(new Lane(defineFunction({ name: 'g', resources: { timeoutMs: 0 } }, () => 0)).timeoutMs).toBe(0);
  });
});

describe('worker location', () => {
  it('maps the sources to the compiled worker', () => {
    expect(defaultWorkerFilename()).toMatch(/\/packages\/node\/dist\/pool\/worker\.js$/);
  });
  it('turns paths into file URLs and leaves URLs and bare specifiers alone', () => {
    expect(toModuleUrl('/abs/fn.mjs')).toBe(pathToFileURL('/abs/fn.mjs').href);
    expect(toModuleUrl('./rel/fn.mjs')).toBe(pathToFileURL(`${process.cwd()}/rel/fn.mjs`).href);
    expect(toModuleUrl(new URL('file:///x/y.mjs'))).toBe('file:///x/y.mjs');
    expect(toModuleUrl('file:///x/y.mjs')).toBe('file:///x/y.mjs');
    expect(toModuleUrl('my-functions')).toBe('my-functions');
  });
});

describe('TaskAbortHandle', () => {
  it('calls its one listener once on abort, with the reason, and not after removal', () => {
    const handle = new TaskAbortHandle();
    const heard: unknown[] = [];
    const listener = (): void => {
      heard.push(handle.reason);
    };
    handle.once('abort', listener);
    expect(handle.reusable).toBe(false);
    handle.removeListener('abort', listener);
    expect(handle.reusable).toBe(true);
    handle.once('abort', listener);
    handle.abort('late');
    handle.abort('again');
    expect(heard).toEqual(['late']);
    expect(handle.aborted).toBe(true);
    expect(handle.reusable).toBe(false);
  });

  it('refuses a second listener while one is attached', () => {
    const handle = new TaskAbortHandle();
    handle.once('abort', () => {});
    expect(() => handle.once('abort', () => {})).toThrow(/second abort listener/);
  });
});
