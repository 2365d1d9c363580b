import { SimulatedClock } from '@lucent/actors/internal';
import { type Clock, ShuttingDownError, TimeoutError, type TimerHandle } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { PendingRequests } from '../src/transport/pending-requests.js';

interface Outcome {
  value?: Uint8Array;
  error?: unknown;
  settled: number;
}

function track(table: PendingRequests, target: string, timeoutMs: number): { id: number; outcome: Outcome } {
  const outcome: Outcome = { settled: 0 };
  const id = table.add(target, timeoutMs, {
    resolve: (value) => {
      outcome.value = value;
      outcome.settled++;
    },
    reject: (error) => {
      outcome.error = error;
      outcome.settled++;
    },
  });
  return { id, outcome };
}

/** A simulated clock whose timers can be unref'd, like Node's: counts arms and tracks each timer's keep-alive. */
class RefableClock implements Clock {
  readonly inner = new SimulatedClock();
  armed = 0;
  now = () => this.inner.now();
  wallNow = () => this.inner.wallNow();
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    this.armed++;
    const handle = { inner: this.inner.setTimeout(callback, delayMs), refed: true };
    return Object.assign(handle, {
      ref: () => {
        handle.refed = true;
      },
      unref: () => {
        handle.refed = false;
      },
    });
  }
  clearTimeout(handle: TimerHandle): void {
    this.inner.clearTimeout((handle as unknown as { inner: TimerHandle }).inner);
  }
}

describe('PendingRequests', () => {
  it('resolves by id, once; a second or unknown reply is refused', () => {
    const table = new PendingRequests(new SimulatedClock());
    const a = track(table, 'a', 100);
    const b = track(table, 'b', 100);
    expect(a.id).not.toBe(b.id);
    expect(table.resolve(b.id, new Uint8Array([2]))).toBe(true);
    expect(table.resolve(b.id, new Uint8Array([3]))).toBe(false);
    expect(table.resolve(12345, new Uint8Array())).toBe(false);
    expect([...(b.outcome.value ?? [])]).toEqual([2]);
    expect(b.outcome.settled).toBe(1);
    expect(a.outcome.settled).toBe(0);
    expect(table.size).toBe(1);
  });

  it('times out at the deadline, not before, with TimeoutError carrying target and timeout', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const r = track(table, 'lucent.c.node.n1', 50);
    clock.advance(49);
    expect(r.outcome.settled).toBe(0);
    clock.advance(1);
    expect(r.outcome.settled).toBe(1);
    expect(TimeoutError.is(r.outcome.error)).toBe(true);
    expect((r.outcome.error as TimeoutError).details).toEqual({ target: 'lucent.c.node.n1', timeoutMs: 50 });
    expect(table.timeouts).toBe(1);
    expect(table.size).toBe(0);
  });

  it('serves mixed timeouts in deadline order with a single timer', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const order: string[] = [];
    const add = (name: string, timeoutMs: number) =>
      table.add(name, timeoutMs, { resolve: () => order.push(`${name}:ok`), reject: () => order.push(name) });
    add('slow', 300);
    add('fast', 100);
    clock.advance(10);
    add('mid', 150); // deadline 160
    add('fast2', 100); // deadline 110
    expect(clock.pendingTimers).toBe(1);
    clock.advance(400);
    expect(order).toEqual(['fast', 'fast2', 'mid', 'slow']);
  });

  it('a reply removes the request from the deadline structure: it never times out afterwards', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const r = track(table, 't', 10);
    table.resolve(r.id, new Uint8Array());
    clock.advance(100);
    expect(r.outcome.settled).toBe(1);
    expect(r.outcome.error).toBeUndefined();
    // An empty table holds no timer.
    expect(clock.pendingTimers).toBe(0);
  });

  it("one request at a time keeps one Node timer, unref'd while the table is empty, and still times out", () => {
    const clock = new RefableClock();
    const table = new PendingRequests(clock);
    const first = track(table, 't', 100);
    for (let i = 0; i < 50; i++) {
      const r = i === 0 ? first : track(table, 't', 100);
      expect(clock.armed).toBe(1);
      table.resolve(r.id, new Uint8Array());
      clock.inner.advance(1);
    }
    expect(clock.armed).toBe(1);
    // The idle table kept its (unref'd) timer; the next request takes it back.
    expect(clock.inner.pendingTimers).toBe(1);
    const late = track(table, 't', 100);
    clock.inner.advance(60); // t = 110: the first deadline passes, nothing is due, the timer re-arms for `late`
    expect(late.outcome.settled).toBe(0);
    expect(clock.armed).toBe(2);
    clock.inner.advance(40);
    expect(TimeoutError.is(late.outcome.error)).toBe(true);
    // Empty after the timeout: the timer fired, nothing is re-armed.
    expect(clock.inner.pendingTimers).toBe(0);
  });

  it('an idle table unrefs its timer and the next request refs it again', () => {
    const clock = new RefableClock();
    const table = new PendingRequests(clock);
    let handle: { refed: boolean } | undefined;
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (callback, delayMs) => {
      const h = setTimeout(callback, delayMs);
      handle = h as unknown as { refed: boolean };
      return h;
    };
    const a = track(table, 't', 100);
    expect(handle?.refed).toBe(true);
    table.resolve(a.id, new Uint8Array());
    expect(handle?.refed).toBe(false);
    track(table, 't', 100);
    expect(handle?.refed).toBe(true);
  });

  it('does not re-arm per request when deadlines arrive in order', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    for (let i = 0; i < 1000; i++) {
      track(table, 't', 1000);
      clock.advance(0.5);
    }
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1000);
    expect(table.size).toBe(0);
    expect(table.timeouts).toBe(1000);
  });

  it('many distinct fractional timeouts each expire at their deadline or within 1 ms after it', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const lateness: number[] = [];
    for (let i = 0; i < 200; i++) {
      const timeoutMs = 5 + ((i * 37) % 100) + (i % 4) * 0.25;
      const deadline = clock.now() + timeoutMs;
      table.add('t', timeoutMs, { resolve: () => {}, reject: () => lateness.push(clock.now() - deadline) });
      clock.advance(0.1);
    }
    clock.advance(200);
    expect(lateness).toHaveLength(200);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(1);
    expect(table.size).toBe(0);
  });

  it('rejectAll settles everything once and stops the timer', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const rs = [track(table, 'a', 10), track(table, 'b', 20)];
    table.rejectAll(new ShuttingDownError({ node: 'n' }));
    clock.advance(100);
    for (const r of rs) {
      expect(r.outcome.settled).toBe(1);
      expect(ShuttingDownError.is(r.outcome.error)).toBe(true);
    }
    expect(clock.pendingTimers).toBe(0);
  });

  it('ids skip ones still pending after wrapping', () => {
    const table = new PendingRequests(new SimulatedClock());
    const first = track(table, 'a', 10).id;
    const seen = new Set<number>([first]);
    for (let i = 0; i < 100; i++) seen.add(track(table, 'a', 10).id);
    expect(seen.size).toBe(101);
  });

  it('a timeout whose deadline list was dropped once idle still expires when used again', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    // 20 distinct timeouts, 1 ms added last: its list empties first, while more than 16 lists exist, and is dropped.
    for (let t = 2; t <= 20; t++) track(table, 'x', t);
    track(table, 'x', 1);
    clock.advance(1);
    expect(table.size).toBe(19);
    const again = track(table, 'x', 1);
    clock.advance(1);
    expect(TimeoutError.is(again.outcome.error)).toBe(true);
  });

  it('a NaN or negative timeout expires on the next timer turn, not never', () => {
    const clock = new SimulatedClock();
    const table = new PendingRequests(clock);
    const a = track(table, 'a', Number.NaN);
    const b = track(table, 'b', -5);
    clock.advance(0);
    expect(TimeoutError.is(a.outcome.error)).toBe(true);
    expect(TimeoutError.is(b.outcome.error)).toBe(true);
  });
});
