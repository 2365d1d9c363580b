/**
 * The node's durable consumers follow its functions (`DurableEventConsumers.refresh`, what the deployed registry
 * calls after each change), on the in-memory event log: a handler added after start consumes; disabled, it stops
 * taking events, which stay stored; enabled again, it handles them; a new active version takes over.
 */
import { createRegistry, defineFunction, EnvelopeCodec, eventEnvelope, SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { DurableEventConsumers } from '../src/events/durable-event-consumers.js';
import { decodeEventMessage, encodeEventMessage } from '../src/events/event-message.js';
import { MemoryEventLog } from '../src/events/memory-event-log.js';
import { createInlineRunner } from '../src/router/function-runner.js';

const codec = new EnvelopeCodec();

async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function emit(log: MemoryEventLog, n: number): Promise<void> {
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
    const consumers = new DurableEventConsumers({
      nodeId: 'n1',
      cluster: 'c',
      log,
      functions,
      runner: createInlineRunner(functions, { clock }),
      codec,
      clock,
      ackWaitMs: 1000,
    });
    await consumers.start();
    expect(consumers.plans).toEqual([]);

    functions.add(tally('1'));
    await consumers.refresh();
    expect(consumers.plans.map((p) => p.name)).toEqual(['tally--Counted']);
    await emit(log, 1);
    await settle();
    expect(completed(log)).toEqual(['1:1']);

    functions.disable('tally');
    await consumers.refresh();
    expect(consumers.plans).toEqual([]);
    await emit(log, 2);
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
