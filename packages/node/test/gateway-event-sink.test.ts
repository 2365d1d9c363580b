/**
 * A webhook sink on the in-memory event log (simulated clock) with a webhook twin: what it POSTs, that a delivery is
 * acknowledged only after a 2xx, retried in process meanwhile, given back to the log when the retries are spent
 * (and delivered again later), and that events of other types are acknowledged without a call.
 */
import { type Envelope, EnvelopeCodec, eventEnvelope, SimulatedClock } from '@lucent/core/internal';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeEventMessage } from '../src/events/event-message.js';
import { MemoryEventLog } from '../src/events/memory-event-log.js';
import { CloudEventsMetrics } from '../src/gateway/cloud-events-metrics.js';
import { EventSinkDelivery, REDELIVERY_DELAY_MS, type WebhookPost } from '../src/gateway/event-sink-delivery.js';
import { parseEventSinks } from '../src/gateway/event-sink-routes.js';

const codec = new EnvelopeCodec();

// cockatiel waits between retries with the global setTimeout (0 ms here): faked, and run by `settle`, so the test
// never waits on real time. The log's ack wait and redelivery delay run on the simulated clock.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets the log's pump, the deliveries and cockatiel's zero-delay retries run (no real time passes). */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(1);
  }
}

/** The webhook twin: records each call; answers the first `failFirst` with a failure. */
class Webhook {
  readonly calls: { url: string; contentType: string | undefined; event: Record<string, unknown> }[] = [];
  constructor(public failFirst = 0) {}
  readonly post: WebhookPost = async (url, headers, body) => {
    this.calls.push({ url, contentType: headers['content-type'], event: JSON.parse(body) });
    if (this.calls.length <= this.failFirst) throw new Error('webhook answered 503');
  };
}

function publish(log: MemoryEventLog, event: Envelope): Promise<boolean> {
  return log.publish(`lucent.c.events.${event.target}`, encodeEventMessage(event, codec), { msgId: event.id });
}

async function sink(entry: string, webhook: Webhook, maxAttempts = 3) {
  const clock = new SimulatedClock();
  const log = new MemoryEventLog({ clock });
  await log.ensureStreams();
  const [route] = parseEventSinks([entry]);
  const metrics = new CloudEventsMetrics(undefined);
  const delivery = new EventSinkDelivery({
    route: route!,
    cluster: 'c',
    log,
    codec,
    clock,
    metrics: metrics.forSink(route!.name),
    retry: { maxAttempts, backoffMs: 0, multiplier: 1, maxBackoffMs: 0, retryOn: [] },
    ackWaitMs: 1_000,
    post: webhook.post,
  });
  await delivery.start();
  return { clock, log, delivery, counters: metrics.forSink(route!.name) };
}

describe('EventSinkDelivery', () => {
  it('POSTs a matching event as a structured CloudEvent and acknowledges it after the 2xx', async () => {
    const webhook = new Webhook();
    const { clock, log, delivery, counters } = await sink('tally*=http://hook/t', webhook);
    await publish(log, eventEnvelope('tallyCompleted', 3, { id: 'e1.tally', origin: 'n1' }));
    await publish(log, eventEnvelope('Tick', { n: 3 }, { id: 'e1' }));
    await settle();
    expect(webhook.calls).toHaveLength(1);
    expect(webhook.calls[0]).toMatchObject({
      url: 'http://hook/t',
      contentType: 'application/cloudevents+json; charset=utf-8',
      event: { id: 'e1.tally', type: 'tallyCompleted', source: 'lucent://c/n1', data: 3, specversion: '1.0' },
    });
    expect(webhook.calls[0]?.event.time).toBe(new Date(clock.wallNow()).toISOString());
    // Both acknowledged (the Tick without a call): nothing comes back after the ack wait.
    clock.advance(5_000);
    await settle();
    expect(webhook.calls).toHaveLength(1);
    expect(delivery.delivered).toBe(2);
    expect(counters.delivered.value).toBe(1);
    await delivery.stop();
  });

  it('retries a failing webhook in process, then gives the delivery back and delivers it again later', async () => {
    const webhook = new Webhook(4);
    const { clock, log, delivery, counters } = await sink('*=http://hook/all', webhook, 3);
    await publish(log, eventEnvelope('OrderPlaced', { orderId: 'o1' }, { id: 'o1' }));
    await settle();
    // Three attempts, all failed: not acknowledged, given back with the redelivery delay.
    expect(webhook.calls).toHaveLength(3);
    expect(counters.retried.value).toBe(2);
    expect(counters.failed.value).toBe(1);
    clock.advance(REDELIVERY_DELAY_MS - 1);
    await settle();
    expect(webhook.calls).toHaveLength(3);
    clock.advance(1);
    await settle();
    // Fourth call fails, fifth succeeds: the same event (same CloudEvent id) both times.
    expect(webhook.calls.map((call) => call.event.id)).toEqual(['o1', 'o1', 'o1', 'o1', 'o1']);
    expect(counters.delivered.value).toBe(1);
    clock.advance(60_000);
    await settle();
    expect(webhook.calls).toHaveLength(5);
    await delivery.stop();
  });
});
