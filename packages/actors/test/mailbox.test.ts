import { ConfigError, MailboxFullError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mailbox, type OverflowSink, type UndeliveredReason } from '../src/mailbox.js';
import { PendingAsk } from '../src/pending-ask.js';
import { RingQueue } from '../src/ring-queue.js';
import type { MailboxOptions, OverflowPolicy } from '../src/types.js';

type Op = { kind: 'push'; value: number } | { kind: 'shift' };
const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
    fc.constant({ kind: 'shift' as const }),
  ),
  { maxLength: 3000 },
);

describe('RingQueue', () => {
  it('keeps FIFO order and length equal to an array model under any push/shift sequence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), ops, (initial, sequence) => {
        const ring = new RingQueue<number>(initial);
        const model: number[] = [];
        for (const op of sequence as Op[]) {
          if (op.kind === 'push') {
            ring.push(op.value);
            model.push(op.value);
          } else {
            expect(ring.shift()).toBe(model.shift());
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
        expect(ring.toArray()).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });

  it('grows by doubling across the wrap point without reordering', () => {
    const ring = new RingQueue<number>(4);
    ring.push(1);
    ring.push(2);
    ring.push(3);
    expect(ring.shift()).toBe(1);
    expect(ring.shift()).toBe(2);
    for (let i = 4; i <= 9; i++) ring.push(i); // wraps, then grows from 4 to 8 slots
    expect(ring.capacity).toBe(8);
    expect(ring.toArray()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives a big buffer back once it empties after a huge burst', () => {
    const ring = new RingQueue<number>(16);
    for (let i = 0; i < 100_000; i++) ring.push(i);
    expect(ring.capacity).toBe(131_072);
    while (ring.length > 0) ring.shift();
    expect(ring.capacity).toBe(16);
  });

  it('keeps a medium buffer across regular bursts, and gives it back after 64 bursts without growth', () => {
    const ring = new RingQueue<number>(16);
    for (let burst = 1; burst <= 64; burst++) {
      for (let i = 0; i < 2000; i++) ring.push(i);
      expect(ring.capacity).toBe(2048);
      while (ring.length > 0) ring.shift();
    }
    expect(ring.capacity).toBe(16);
  });

  it('clears vacated slots so the queue holds no reference to shifted items', () => {
    const ring = new RingQueue<object>(2);
    ring.push({});
    ring.shift();
    expect((ring as unknown as { slots: unknown[] }).slots.every((s) => s === undefined)).toBe(true);
  });
});

class RecordingSink implements OverflowSink {
  readonly turnedAway: { message: unknown; reason: UndeliveredReason }[] = [];
  undelivered(message: unknown, ask: PendingAsk | undefined, reason: UndeliveredReason): void {
    this.turnedAway.push({ message, reason });
    ask?.reject(new MailboxFullError({ actor: 'a', capacity: 0 }));
  }
}

function drain(mailbox: Mailbox): unknown[] {
  const out: unknown[] = [];
  while (mailbox.size > 0) {
    out.push(mailbox.takeMessage());
    mailbox.takeAsk();
  }
  return out;
}

describe('Mailbox', () => {
  it('is unbounded by default and keeps each message with its ask', () => {
    const sink = new RecordingSink();
    const mailbox = new Mailbox({ kind: 'unbounded' }, sink, '/user/a');
    const ask = new PendingAsk('/user/a', 100);
    for (let i = 0; i < 10_000; i++) mailbox.enqueue(i, i === 5 ? ask : undefined);
    expect(mailbox.size).toBe(10_000);
    const messages: unknown[] = [];
    const asks: unknown[] = [];
    while (mailbox.size > 0) {
      messages.push(mailbox.takeMessage());
      asks.push(mailbox.takeAsk());
    }
    expect(messages).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(asks.indexOf(ask)).toBe(5);
    expect(asks.filter((a) => a !== undefined)).toHaveLength(1);
    expect(sink.turnedAway).toEqual([]);
  });

  it.each([
    ['reject', [1, 2], [{ message: 3, reason: 'mailbox-full' }]],
    ['drop-newest', [1, 2], [{ message: 3, reason: 'dropped-newest' }]],
    ['drop-oldest', [2, 3], [{ message: 1, reason: 'dropped-oldest' }]],
  ] as const)('bounded with %s keeps %j and turns away %j', (overflow, kept, turnedAway) => {
    const sink = new RecordingSink();
    const mailbox = new Mailbox({ kind: 'bounded', capacity: 2, overflow }, sink, '/user/a');
    expect(mailbox.enqueue(1, undefined)).toBe(true);
    expect(mailbox.enqueue(2, undefined)).toBe(true);
    expect(mailbox.enqueue(3, undefined)).toBe(overflow === 'drop-oldest');
    expect(mailbox.size).toBe(2);
    expect(drain(mailbox)).toEqual(kept);
    expect(sink.turnedAway).toEqual(turnedAway);
  });

  it('rejects the ask of a message it turns away', async () => {
    const mailbox = new Mailbox({ kind: 'bounded', capacity: 1, overflow: 'reject' }, new RecordingSink(), 'a');
    mailbox.enqueue('first', undefined);
    const ask = new PendingAsk('a', 100);
    mailbox.enqueue('second', ask);
    await expect(ask.promise).rejects.toSatisfy(MailboxFullError.is);
  });

  it('never holds more than its capacity, and keeps the newest (drop-oldest) or oldest (otherwise) in order', () => {
    const policies: OverflowPolicy[] = ['reject', 'drop-newest', 'drop-oldest'];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(...policies),
        fc.array(fc.boolean(), { maxLength: 300 }),
        (capacity, overflow, pushes) => {
          const sink = new RecordingSink();
          const mailbox = new Mailbox({ kind: 'bounded', capacity, overflow }, sink, 'a');
          let model: number[] = [];
          let next = 0;
          let delivered = 0;
          for (const isPush of pushes) {
            if (isPush) {
              const v = next++;
              mailbox.enqueue(v, undefined);
              if (model.length < capacity) model.push(v);
              else if (overflow === 'drop-oldest') model = [...model.slice(1), v];
            } else if (mailbox.size > 0) {
              expect(mailbox.takeMessage()).toBe(model.shift());
              mailbox.takeAsk();
              delivered++;
            }
            expect(mailbox.size).toBeLessThanOrEqual(capacity);
            expect(mailbox.size).toBe(model.length);
          }
          // Every message was either delivered, still queued or turned away exactly once.
          expect(delivered + model.length + sink.turnedAway.length).toBe(next);
          expect(drain(mailbox)).toEqual(model);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %s with ConfigError', (capacity) => {
    const options: MailboxOptions = { kind: 'bounded', capacity, overflow: 'reject' };
    expect(() => new Mailbox(options, new RecordingSink(), 'a')).toThrow(
      expect.objectContaining({ code: ConfigError.code }),
    );
  });
});
