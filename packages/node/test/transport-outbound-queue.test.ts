import { EncodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrames, FrameKind } from '../src/transport/frames.js';
import { type BatchSink, OutboundQueue } from '../src/transport/outbound-queue.js';

interface Published {
  subject: string;
  replyTo: string | undefined;
  payloads: number[][];
}

/** Records messages; flushes run only when the test says so. */
function setup(maxBatchBytes = 64 * 1024, maxMessageBytes = 1024 * 1024) {
  const published: Published[] = [];
  const failures: unknown[] = [];
  const scheduled: (() => void)[] = [];
  const sink: BatchSink = {
    publishBatch(subject, message, replyTo, frameCount) {
      const frames = decodeFrames(message);
      expect(frames).toHaveLength(frameCount);
      published.push({ subject, replyTo, payloads: frames.map((f) => [...f.payload]) });
    },
    publishFailed(_subject, error) {
      failures.push(error);
    },
  };
  const queue = new OutboundQueue(sink, (cb) => scheduled.push(cb), 'reply.me', maxBatchBytes, maxMessageBytes);
  const runScheduled = () => {
    for (const cb of scheduled.splice(0)) cb();
  };
  return { queue, published, failures, scheduled, runScheduled };
}

describe('OutboundQueue', () => {
  it('coalesces frames per destination into one message per flush, keeping order', () => {
    const { queue, published, scheduled, runScheduled } = setup();
    for (let i = 0; i < 100; i++) queue.enqueue(i % 2 === 0 ? 'a' : 'b', FrameKind.Send, 0, new Uint8Array([i]));
    expect(published).toHaveLength(0);
    expect(scheduled).toHaveLength(1);
    expect(queue.queuedFrames).toBe(100);
    runScheduled();
    expect(published.map((p) => p.subject)).toEqual(['a', 'b']);
    expect(published[0]!.payloads.map((p) => p[0])).toEqual([...Array(50).keys()].map((i) => i * 2));
    expect(published[1]!.payloads).toHaveLength(50);
    expect(queue.queuedFrames).toBe(0);
  });

  it('one frame in flight is one message with one frame', () => {
    const { queue, published, runScheduled } = setup();
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([1]));
    runScheduled();
    expect(published).toEqual([{ subject: 'a', replyTo: undefined, payloads: [[1]] }]);
  });

  it('attaches the reply subject only to messages that carry a request', () => {
    const { queue, published, runScheduled } = setup();
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([1]));
    queue.enqueue('b', FrameKind.Request, 7, new Uint8Array([2]));
    runScheduled();
    queue.enqueue('b', FrameKind.Send, 0, new Uint8Array([3]));
    runScheduled();
    expect(published.map((p) => [p.subject, p.replyTo])).toEqual([
      ['a', undefined],
      ['b', 'reply.me.b'],
      ['b', undefined],
    ]);
  });

  it('publishes at once when a batch reaches the size cap, and never exceeds it with several frames', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const { queue, published, runScheduled } = setup(1024);
        sizes.forEach((n, i) => {
          queue.enqueue('a', FrameKind.Send, 0, new Uint8Array(n).fill(i & 0xff));
        });
        runScheduled();
        const all = published.flatMap((p) => p.payloads);
        expect(all.map((p) => p.length)).toEqual(sizes);
        for (const p of published) {
          const bytes = 6 + p.payloads.reduce((sum, x) => sum + 9 + x.length, 0);
          if (p.payloads.length > 1) expect(bytes).toBeLessThanOrEqual(1024);
        }
      }),
    );
  });

  it('rejects a frame larger than a wire message with EncodeError and queues nothing', () => {
    const { queue, published, runScheduled } = setup(64, 100);
    expect(() => queue.enqueue('a', FrameKind.Send, 0, new Uint8Array(100))).toThrow(EncodeError);
    runScheduled();
    expect(published).toHaveLength(0);
  });

  it('reports a sink failure and keeps serving the other destinations', () => {
    const published: string[] = [];
    const failures: string[] = [];
    const queue = new OutboundQueue(
      {
        publishBatch(subject) {
          if (subject === 'bad') throw new Error('boom');
          published.push(subject);
        },
        publishFailed(subject) {
          failures.push(subject);
        },
      },
      (cb) => cb(),
      'r',
      1024,
      4096,
    );
    queue.publishImmediately();
    queue.enqueue('bad', FrameKind.Send, 0, new Uint8Array(1));
    queue.enqueue('good', FrameKind.Send, 0, new Uint8Array(1));
    expect(failures).toEqual(['bad']);
    expect(published).toEqual(['good']);
  });

  it('flush() publishes synchronously and the scheduled flush then finds nothing', () => {
    const { queue, published, runScheduled } = setup();
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([1]));
    queue.flush();
    expect(published).toHaveLength(1);
    runScheduled();
    expect(published).toHaveLength(1);
  });

  it('publishImmediately() sends what is queued, then every frame on its own', () => {
    const { queue, published } = setup();
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([1]));
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([2]));
    queue.publishImmediately();
    queue.enqueue('a', FrameKind.Send, 0, new Uint8Array([3]));
    expect(published.map((p) => p.payloads.length)).toEqual([2, 1]);
  });
});
