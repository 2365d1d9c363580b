import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { correlationLogger, createNodeLogger } from '../src/logging.js';
import { EXIT_INTERRUPTED, handleShutdownSignals } from '../src/shard/shutdown-signals.js';

function collectingLogger(level: 'info' | 'silent' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createNodeLogger({
    nodeId: 'n1',
    level,
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('handleShutdownSignals', () => {
  it('shuts down once on the first signal and exits 0 when done', async () => {
    const signals = new EventEmitter();
    const reasons: string[] = [];
    const exits: number[] = [];
    let finish = (): void => {};
    const node = {
      shutdown: (reason: string) => {
        reasons.push(reason);
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    };
    const { logger } = collectingLogger();
    handleShutdownSignals({ node, logger, exit: (code) => exits.push(code), signals });
    signals.emit('SIGTERM');
    expect(reasons).toEqual(['SIGTERM']);
    expect(exits).toEqual([]);
    finish();
    await Promise.resolve();
    await Promise.resolve();
    expect(exits).toEqual([0]);
  });

  it('exits 130 at once on a second signal, without a second shutdown', () => {
    const signals = new EventEmitter();
    const reasons: string[] = [];
    const exits: number[] = [];
    const node = {
      shutdown: (reason: string) => {
        reasons.push(reason);
        return new Promise<void>(() => {});
      },
    };
    const { logger, lines } = collectingLogger();
    handleShutdownSignals({ node, logger, exit: (code) => exits.push(code), signals });
    signals.emit('SIGINT');
    signals.emit('SIGTERM');
    expect(reasons).toEqual(['SIGINT']);
    expect(exits).toEqual([EXIT_INTERRUPTED]);
    expect(EXIT_INTERRUPTED).toBe(130);
    expect(lines.map((l) => l.msg)).toEqual(['node.signal', 'node.shutdown_interrupted']);
  });

  it('the returned function removes the listeners', () => {
    const signals = new EventEmitter();
    const remove = handleShutdownSignals({
      node: { shutdown: async () => {} },
      logger: collectingLogger().logger,
      exit: () => {},
      signals,
    });
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    remove();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });
});

describe('node logger', () => {
  it('writes JSON lines with the node id and a level label; children add the correlation id', () => {
    const { logger, lines } = collectingLogger();
    logger.info({ shard: 'n1' }, 'node.ready');
    correlationLogger(logger, 'abc.1').warn('slow');
    logger.debug('hidden at info');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', node: 'n1', shard: 'n1', msg: 'node.ready' });
    expect(typeof lines[0]?.time).toBe('string');
    expect(lines[1]).toMatchObject({ level: 'warn', node: 'n1', correlationId: 'abc.1', msg: 'slow' });
  });

  it('silent drops everything', () => {
    const { logger, lines } = collectingLogger('silent');
    logger.fatal('gone');
    expect(lines).toEqual([]);
  });
});
