/**
 * Durable events on the in-memory twin, driven by a simulated clock: the node-side consumers (runs, acks,
 * retries with the policy's backoff, dead letters, `Failed` events), queue semantics across nodes, ack-wait
 * redelivery, deduplication, the client's dead-letter API, and consumers that follow the functions (`refresh`,
 * what the deployed registry calls after each change).
 */
import {
  createRegistry,
  defineFunction,
  type Envelope,
  EnvelopeCodec,
  eventEnvelope,
  SimulatedClock,
} from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { DurableEventConsumers } from '../src/events/durable-event-consumers.js';
import { planEventConsumers } from '../src/events/event-consumer-plan.js';
import { decodeEventMessage, encodeEventMessage } from '../src/events/event-message.js';
import { EventsAdmin } from '../src/events/events-admin.js';
import { MemoryEventLog } from '../src/events/memory-event-log.js';
import { createInlineRunner } from '../src/router/function-runner.js';

const codec = new EnvelopeCodec();
/** Lets the log's pump and the handlers' promises run (several event-loop turns; no timers). */
async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

function emit(log: MemoryEventLog, type: string, payload: unknown, id?: string): Promise<boolean> {
  const event = eventEnvelope(type, payload, id === undefined ? {} : { id });
  return log.publish(`lucent.c.events.${type}`, encodeEventMessage(event, codec), { msgId: event.id });
}

function stored(log: MemoryEventLog, type: string): Envelope[] {
  return log.events
    .filter((e) => e.subject === `lucent.c.events.${type}`)
    .flatMap((e) => decodeEventMessage(e.data, codec));
}

function node(log: MemoryEventLog, clock: SimulatedClock, functions: ReturnType<typeof createRegistry>, id = 'n1') {
  return new DurableEventConsumers({
    nodeId: id,
    cluster: 'c',
    log,
    functions,
    runner: createInlineRunner(functions, { clock }),
    codec,
    clock,
    ackWaitMs: 1000,
  });
}

describe('durable events on the in-memory twin', () => {
  it('runs each event once across two nodes, with the event context, and stores Completed before the ack', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    const seen: unknown[] = [];
    const echo = defineFunction({ name: 'echo', handles: 'Tick' }, (ctx, input: number) => {
      seen.push(ctx.event);
      return input;
    });
    const functions = createRegistry([echo]);
    const a = node(log, clock, functions, 'a');
    const b = node(log, clock, functions, 'b');
    await a.start();
    await b.start();
    for (let n = 0; n < 10; n++) await emit(log, 'Tick', n, `t-${n}`);
    await settle();
    expect(a.handled + b.handled).toBe(10);
    expect(a.handled).toBeGreaterThan(0);
    expect(b.handled).toBeGreaterThan(0);
    expect(seen).toHaveLength(10);
    expect(seen[0]).toEqual({ id: 't-0', attempt: 1 });
    expect(stored(log, 'echoCompleted').map((e) => [e.id, e.payload])).toContainEqual(['t-3.echo', 3]);
    await a.stop();
    await b.stop();
  });

  it('stores a repeated message id once within the duplicate window', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock, duplicateWindowMs: 1000 });
    expect(await emit(log, 'Tick', 1, 'same')).toBe(false);
    expect(await emit(log, 'Tick', 1, 'same')).toBe(true);
    expect(log.events).toHaveLength(1);
    clock.advance(1000);
    expect(await emit(log, 'Tick', 1, 'same')).toBe(false);
    expect(log.events).toHaveLength(2);
  });

  it('redelivers a failed run after the retry backoff, then dead-letters it with a Failed event', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    const attempts: number[] = [];
    const flaky = defineFunction(
      { name: 'flaky', handles: 'Boom', retry: { maxAttempts: 3, backoffMs: 100, multiplier: 2 } },
      (ctx) => {
        attempts.push(ctx.event?.attempt ?? 0);
        throw new Error('boom');
      },
    );
    const consumers = node(log, clock, createRegistry([flaky]));
    await consumers.start();
    await emit(log, 'Boom', { x: 1 }, 'b-1');
    await settle();
    expect(attempts).toEqual([1]);
    clock.advance(99);
    await settle();
    expect(attempts).toEqual([1]);
    clock.advance(1);
    await settle();
    expect(attempts).toEqual([1, 2]);
    clock.advance(200);
    await settle();
    expect(attempts).toEqual([1, 2, 3]);
    expect(consumers.deadLettered).toBe(1);
    const admin = new EventsAdmin(() => Promise.resolve(log), codec, 'c');
    const letters = await admin.deadLetters.list();
    expect(letters).toEqual([
      expect.objectContaining({
        consumer: 'flaky--Boom',
        eventId: 'b-1',
        attempts: 3,
        error: expect.objectContaining({ code: 'LUCENT_HANDLER' }),
        event: expect.objectContaining({ id: 'b-1', payload: { x: 1 } }),
      }),
    ]);
    expect(stored(log, 'flakyFailed').map((e) => e.payload)).toEqual([
      expect.objectContaining({ eventId: 'b-1', attempts: 3 }),
    ]);
    // Terminated: no further deliveries, however long we wait.
    clock.advance(60_000);
    await settle();
    expect(attempts).toEqual([1, 2, 3]);

    // Replay goes to this handler again (a fresh delivery count), then the record is gone.
    await admin.deadLetters.replay(letters[0]!.id);
    await settle();
    expect(attempts).toEqual([1, 2, 3, 1]);
    expect((await admin.deadLetters.list()).map((l) => l.id)).not.toContain(letters[0]!.id);
    await expect(admin.deadLetters.replay(letters[0]!.id)).rejects.toMatchObject({ code: 'LUCENT_CONFIG' });
    await consumers.stop();
  });

  it('a replayed dead letter reaches only its handler, not the other handlers of the type', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    let other = 0;
    const bad = defineFunction({ name: 'bad', handles: 'T', retry: { maxAttempts: 1 } }, () => {
      throw new Error('no');
    });
    const good = defineFunction({ name: 'good', handles: 'T' }, () => {
      other++;
      return null;
    });
    const consumers = node(log, clock, createRegistry([bad, good]));
    await consumers.start();
    await emit(log, 'T', {});
    await settle();
    expect(other).toBe(1);
    const admin = new EventsAdmin(() => Promise.resolve(log), codec, 'c');
    const [letter] = await admin.deadLetters.list();
    await admin.deadLetters.replay(letter!.id);
    await settle();
    expect(other).toBe(1);
    expect(await admin.deadLetters.list()).toHaveLength(1);
    expect(await admin.deadLetters.purge()).toBe(1);
    await consumers.stop();
  });

  it('redelivers to another node what a stopped node left unacknowledged, after the ack wait', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    const functions = createRegistry([defineFunction({ name: 'f', handles: 'T' }, (_ctx, x: number) => x)]);
    const [plan] = planEventConsumers(functions, { cluster: 'c', ackWaitMs: 1000 });
    // A "node" that takes the delivery and dies without answering.
    const taken: number[] = [];
    const dead = await log.consume(plan!, (delivery) => taken.push(delivery.attempt));
    await emit(log, 'T', 5, 'e');
    await settle();
    expect(taken).toEqual([1]);
    await dead.stop();
    const survivor = node(log, clock, functions, 's');
    await survivor.start();
    await settle();
    expect(survivor.handled).toBe(0);
    clock.advance(1000);
    await settle();
    expect(survivor.handled).toBe(1);
    expect(stored(log, 'fCompleted')[0]).toMatchObject({ id: 'e.f', origin: 's', payload: 5 });
    await survivor.stop();
  });

  it('keeps a long run alive with working(): no redelivery while the handler runs past the ack wait', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    let runs = 0;
    let finish: (() => void) | undefined;
    const slow = defineFunction({ name: 'slow', handles: 'T' }, () => {
      runs++;
      return new Promise<null>((resolve) => {
        finish = () => resolve(null);
      });
    });
    const consumers = node(log, clock, createRegistry([slow]));
    await consumers.start();
    await emit(log, 'T', {});
    await settle();
    for (let i = 0; i < 10; i++) {
      clock.advance(300);
      await settle(2);
    }
    expect(runs).toBe(1);
    finish?.();
    await settle();
    expect(consumers.handled).toBe(1);
    await consumers.stop();
  });

  it('dead-letters a delivery whose last attempt got no answer (max deliveries by ack timeout)', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    const functions = createRegistry([
      defineFunction({ name: 'f', handles: 'T', retry: { maxAttempts: 1 } }, (_ctx, x: number) => x),
    ]);
    const [plan] = planEventConsumers(functions, { cluster: 'c', ackWaitMs: 1000 });
    // A node that takes every delivery and never answers (it hangs, or dies each time).
    const swallowed: number[] = [];
    const dead = await log.consume(plan!, (delivery) => swallowed.push(delivery.attempt));
    await emit(log, 'T', 1, 'lost');
    await settle();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await settle();
    }
    expect(swallowed).toEqual([1, 2, 3]);
    const watcher = node(log, clock, functions, 'w');
    await watcher.start();
    await dead.stop();
    // The server's MAX_DELIVERIES advisory, as the twin raises it when the third ack wait ends.
    log.maxDeliveries(plan!.name, { sequence: 1, attempt: 3 });
    await settle();
    const [letter] = await new EventsAdmin(() => Promise.resolve(log), codec, 'c').deadLetters.list();
    expect(letter).toMatchObject({
      consumer: 'f--T',
      eventId: 'lost',
      attempts: 3,
      error: { code: 'LUCENT_DELIVERY_EXHAUSTED' },
      node: 'w',
    });
    await watcher.stop();
  });
});

async function emitCounted(log: MemoryEventLog, n: number): Promise<void> {
  const event = eventEnvelope('Counted', n, { id: `c-${n}` });
  await log.publish('lucent.c.events.Counted', encodeEventMessage(event, codec), { msgId: event.id });
}

/** The `tallyCompleted` payloads stored so far: `version:n`. */
function completed(log: MemoryEventLog): string[] {
  return log.events
    .filter((e) => e.subject === 'lucent.c.events.tallyCompleted')
    .flatMap((e) => decodeEventMessage(e.data, codec))
    .map((e) => String(e.payload));
}

const tally = (version: string) =>
  defineFunction({ name: 'tally', version, handles: 'Counted' }, (_ctx, n: number) => `${version}:${n}`);

describe('durable consumers follow the functions (refresh)', () => {
  it('serve a handler added after start, stop on disable (events kept), resume on enable, follow a new version', async () => {
    const clock = new SimulatedClock();
    const log = new MemoryEventLog({ clock });
    const functions = createRegistry();
    const consumers = node(log, clock, functions);
    await consumers.start();
    expect(consumers.plans).toEqual([]);

    functions.add(tally('1'));
    await consumers.refresh();
    expect(consumers.plans.map((p) => p.name)).toEqual(['tally--Counted']);
    await emitCounted(log, 1);
    await settle();
    expect(completed(log)).toEqual(['1:1']);

    functions.disable('tally');
    await consumers.refresh();
    expect(consumers.plans).toEqual([]);
    await emitCounted(log, 2);
    await settle();
    expect(completed(log)).toEqual(['1:1']);

    // A new version, active once enabled: the kept event runs on it.
    functions.add(tally('2'));
    await consumers.refresh();
    await settle();
    expect(completed(log)).toEqual(['1:1', '2:2']);
    expect(consumers.handled).toBe(2);
    await consumers.stop();
  });
});
