import { SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createNodeLogger } from '../src/logging.js';
import { type ConnectRetry, connectRetryDelayMs, connectWithRetry } from '../src/transport/connect-retry.js';
import { connectionStatusLogger } from '../src/transport/connection-status-log.js';

/** Lets the retry loop run up to its next pause. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('connectRetryDelayMs', () => {
  it('doubles from 250 ms and stops at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(connectRetryDelayMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe('connectWithRetry', () => {
  it('retries a refused connection until it succeeds, reporting every attempt', async () => {
    const clock = new SimulatedClock();
    const retries: ConnectRetry[] = [];
    let calls = 0;
    const done = connectWithRetry(
      async () => {
        calls++;
        if (calls < 4) throw new Error('CONNECTION_REFUSED');
        return 'connected';
      },
      { target: 'NATS at x', timeoutMs: 0, clock, onRetry: (retry) => retries.push(retry) },
    );
    for (const delay of [250, 500, 1000]) {
      await settle();
      clock.advance(delay);
    }
    expect(await done).toBe('connected');
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 250],
      [2, 500],
      [3, 1000],
    ]);
  });

  it('rejects with TimeoutError (cause: the last error) once the timeout has passed', async () => {
    const clock = new SimulatedClock();
    const refused = new Error('CONNECTION_REFUSED');
    const done = connectWithRetry(() => Promise.reject(refused), { target: 'NATS at x', timeoutMs: 600, clock });
    const outcome = done.catch((error: unknown) => error);
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(250);
    }
    const error = (await outcome) as { code?: string; cause?: unknown; message?: string };
    expect(error.code).toBe('LUCENT_TIMEOUT');
    expect(error.cause).toBe(refused);
    expect(error.message).toBe('NATS at x did not answer within 600 ms');
  });

  it('stops waiting with CancelledError when its signal aborts', async () => {
    const clock = new SimulatedClock();
    const abort = new AbortController();
    const done = connectWithRetry(() => Promise.reject(new Error('down')), {
      target: 'NATS at x',
      timeoutMs: 0,
      clock,
      signal: abort.signal,
    });
    const outcome = done.catch((error: unknown) => error);
    await settle();
    abort.abort();
    expect(((await outcome) as { code?: string }).code).toBe('LUCENT_CANCELLED');
  });
});

describe('connectionStatusLogger', () => {
  it('logs one warn per outage, the attempts at debug, and one info with the outage on reconnect', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createNodeLogger({
      nodeId: 'n',
      level: 'debug',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const clock = new SimulatedClock();
    const listener = connectionStatusLogger(logger, clock);
    listener({ type: 'disconnected', server: 's:1' });
    for (let attempt = 1; attempt <= 3; attempt++) listener({ type: 'reconnecting', attempt });
    listener({ type: 'disconnected', server: 's:1' });
    clock.advance(1500);
    listener({ type: 'reconnected', server: 's:1' });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'nats.disconnected'],
      ['debug', 'nats.reconnecting'],
      ['debug', 'nats.reconnecting'],
      ['debug', 'nats.reconnecting'],
      ['info', 'nats.reconnected'],
    ]);
    expect(lines[4]).toMatchObject({ attempts: 3, outageMs: 1500 });
  });
});
