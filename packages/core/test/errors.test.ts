import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  errorFromWire,
  HandlerError,
  knownErrorCodes,
  LucentError,
  RemoteError,
  TimeoutError,
  toLucentError,
} from '../src/errors.js';

describe('errors', () => {
  it('carry a stable code, a fixed name and structured details', () => {
    const e = new TimeoutError({ target: 'fn:add', timeoutMs: 50 });
    expect(e.code).toBe('LUCENT_TIMEOUT');
    expect(TimeoutError.code).toBe('LUCENT_TIMEOUT');
    expect(e.name).toBe('TimeoutError');
    expect(e.details.timeoutMs).toBe(50);
    expect(e).toBeInstanceOf(LucentError);
    expect(e).toBeInstanceOf(Error);
  });

  it('round-trip through the wire form into the same class with code, message and origin', () => {
    const sent = new ConfigError({ subject: 'fn', field: 'cpu', reason: 'unknown class' });
    const wire = sent.toWire('node-1');
    const got = errorFromWire(structuredClone(wire));
    expect(got).toBeInstanceOf(ConfigError);
    expect(got.code).toBe('LUCENT_CONFIG');
    expect(got.message).toBe(sent.message);
    expect(got.origin).toBe('node-1');
    expect(got.details).toEqual({ subject: 'fn', field: 'cpu', reason: 'unknown class' });
  });

  it('recognise decoded errors by code without instanceof', () => {
    const plain = { ...new TimeoutError({ target: 'x', timeoutMs: 1 }).toWire() };
    expect(TimeoutError.is(plain)).toBe(true);
    expect(ConfigError.is(plain)).toBe(false);
    expect(LucentError.isLucentError(plain)).toBe(true);
    expect(LucentError.isLucentError(new Error('x'))).toBe(false);
  });

  it('keep an unknown code as a RemoteError', () => {
    const got = errorFromWire({ code: 'LUCENT_FROM_THE_FUTURE', name: 'FutureError', message: 'm', details: {} });
    expect(got).toBeInstanceOf(RemoteError);
    expect(got.code).toBe('LUCENT_FROM_THE_FUTURE');
    expect(got.name).toBe('FutureError');
  });

  it('normalise a Lucent error to itself, code and origin kept', () => {
    const thrown = new TimeoutError({ target: 'fn:add', timeoutMs: 5 }, { origin: 'n2' });
    expect(toLucentError(thrown, 'other')).toBe(thrown);
    const revived = errorFromWire(structuredClone(thrown.toWire()));
    expect(toLucentError(revived)).toBe(revived);
    expect(toLucentError(revived).origin).toBe('n2');
  });

  it('wrap anything else thrown as a HandlerError naming the target, with the thrown value as cause', () => {
    const thrown = new RangeError('too big');
    const error = toLucentError(thrown, 'fn:add');
    expect(error).toBeInstanceOf(HandlerError);
    expect(error.code).toBe(HandlerError.code);
    expect(error.cause).toBe(thrown);
    expect(error.details).toEqual({ target: 'fn:add', remoteName: 'RangeError', remoteMessage: 'too big' });
    const wire = error.toWire('n1');
    expect(wire).toMatchObject({ code: HandlerError.code, origin: 'n1' });
    expect(toLucentError('a string', 'fn:add').details).toEqual({
      target: 'fn:add',
      remoteName: 'string',
      remoteMessage: 'a string',
    });
  });

  it('never throw, whatever was thrown, and name an unknown target', () => {
    const unprintable = Object.create(null) as object;
    expect(toLucentError(unprintable).details).toEqual({
      target: 'unknown',
      remoteName: 'object',
      remoteMessage: 'unprintable object',
    });
    expect(toLucentError(undefined).details.remoteName).toBe('undefined');
  });

  it('have unique codes', () => {
    const codes = knownErrorCodes();
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => c.startsWith('LUCENT_'))).toBe(true);
  });
});
