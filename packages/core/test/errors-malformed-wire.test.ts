// errorFromWire is total: whatever a peer sends as an error becomes a Lucent error of a known code, never a throw,
// and a revived error's details are always what its class's type says.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  errorFromWire,
  HandlerError,
  knownErrorCodes,
  LucentError,
  MalformedRemoteError,
  OverloadedError,
  RemoteError,
  SnapshotIncompatibleError,
  TimeoutError,
} from '../src/errors.js';

const wire = (code: string, details: Record<string, unknown>) => ({ code, name: 'X', message: 'm', details });

describe('errorFromWire on a malformed wire error', () => {
  it('turns a known code whose details lack a field into MalformedRemoteError naming the code and the field', () => {
    const got = errorFromWire({ ...wire('LUCENT_TIMEOUT', { target: 'fn:add' }), origin: 'n2' });
    expect(MalformedRemoteError.is(got)).toBe(true);
    expect(TimeoutError.is(got)).toBe(false);
    expect(got.details).toEqual({ remoteCode: 'LUCENT_TIMEOUT', reason: 'details.timeoutMs is missing' });
    expect(got.origin).toBe('n2');
  });

  it('rejects a field of another kind, and an array whose items are of another kind', () => {
    const timeout = errorFromWire(wire('LUCENT_TIMEOUT', { target: 'fn:add', timeoutMs: '50' }));
    expect(timeout.details).toMatchObject({ reason: 'details.timeoutMs is not a number' });
    const snapshot = errorFromWire(
      wire('LUCENT_SNAPSHOT_INCOMPATIBLE', { actor: 'a/1', snapshotVersion: '1', version: '2', restores: [1] }),
    );
    expect(snapshot.details).toMatchObject({ reason: 'details.restores is not a string[]' });
    const handler = errorFromWire(
      wire('LUCENT_HANDLER', { target: 't', remoteName: 'E', remoteMessage: 'm', retryable: 1 }),
    );
    expect(handler.details).toMatchObject({ reason: 'details.retryable is not a boolean' });
  });

  it('accepts absent optional fields, null where the type allows it, and fields it does not declare', () => {
    const overloaded = errorFromWire(wire('LUCENT_OVERLOADED', { target: 't', reason: 'r', retryAfterMs: 5 }));
    expect(OverloadedError.is(overloaded)).toBe(true);
    const conflict = errorFromWire(
      wire('LUCENT_CONFLICT', { key: 'k', expectedRevision: null, actualRevision: 3, addedByANewerPeer: true }),
    );
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.details).toMatchObject({ expectedRevision: null, actualRevision: 3 });
    const snapshot = errorFromWire(
      wire('LUCENT_SNAPSHOT_INCOMPATIBLE', { actor: 'a/1', snapshotVersion: '1', version: '2', restores: [] }),
    );
    expect(snapshot).toBeInstanceOf(SnapshotIncompatibleError);
  });

  it('turns a value that is not a wire error at all into MalformedRemoteError', () => {
    const cases: [unknown, string | null, string][] = [
      [undefined, null, 'expected an object, got undefined'],
      [null, null, 'expected an object, got null'],
      ['LUCENT_TIMEOUT', null, 'expected an object, got string'],
      [[1, 2], null, 'expected an object, got object'],
      [{ name: 'X', message: 'm', details: {} }, null, 'code is missing'],
      [{ code: 7, name: 'X', message: 'm', details: {} }, null, 'code is not a string'],
      [{ code: 'LUCENT_TIMEOUT', name: 'X', details: {} }, 'LUCENT_TIMEOUT', 'message is missing'],
      [{ code: 'LUCENT_TIMEOUT', message: 'm', details: {} }, 'LUCENT_TIMEOUT', 'name is missing'],
      [
        { code: 'LUCENT_FUTURE', name: 'X', message: 'm', details: {}, origin: 5 },
        'LUCENT_FUTURE',
        'origin is not a string',
      ],
      [{ code: 'LUCENT_FUTURE', name: 'X', message: 'm' }, 'LUCENT_FUTURE', 'details is not an object'],
      [{ code: 'LUCENT_FUTURE', name: 'X', message: 'm', details: null }, 'LUCENT_FUTURE', 'details is not an object'],
      [{ code: 'LUCENT_FUTURE', name: 'X', message: 'm', details: ['a'] }, 'LUCENT_FUTURE', 'details is not an object'],
    ];
    for (const [sent, remoteCode, reason] of cases) {
      const got = errorFromWire(sent);
      expect(got.code, String(reason)).toBe(MalformedRemoteError.code);
      expect(got.details).toEqual({ remoteCode, reason });
      expect(got.message).toContain(reason);
    }
  });

  it('still revives an unknown but well-formed code as RemoteError, keeping the code', () => {
    const got = errorFromWire(wire('LUCENT_FROM_THE_FUTURE', { anything: [1] }));
    expect(got).toBeInstanceOf(RemoteError);
    expect(got.code).toBe('LUCENT_FROM_THE_FUTURE');
  });

  it('never throws on any known code with empty details, and revives the wire form of MalformedRemoteError itself', () => {
    for (const code of knownErrorCodes()) {
      const got = errorFromWire(wire(code, {}));
      expect([code, MalformedRemoteError.code]).toContain(got.code);
    }
    const sent = new MalformedRemoteError({ remoteCode: null, reason: 'r' }).toWire('n1');
    const got = errorFromWire(structuredClone(sent));
    expect(got).toBeInstanceOf(MalformedRemoteError);
    expect(got.details).toEqual({ remoteCode: null, reason: 'r' });
  });

  it('never throws for any value, and returns a LucentError whose class matches its code', () => {
    const codes = fc.constantFrom(...knownErrorCodes(), 'LUCENT_FUTURE');
    const details = fc.dictionary(
      fc.constantFrom('target', 'timeoutMs', 'reason', 'name', 'issues', 'errors', 'node', 'restores'),
      fc.anything(),
    );
    const shaped = fc.record(
      {
        code: fc.oneof(codes, fc.anything()),
        name: fc.anything(),
        message: fc.anything(),
        details: fc.oneof(details, fc.anything()),
        origin: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(shaped, fc.anything()), (sent) => {
        const got = errorFromWire(sent);
        expect(got).toBeInstanceOf(LucentError);
        expect(typeof got.message).toBe('string');
        if (HandlerError.is(got)) expect(typeof got.details.remoteMessage).toBe('string');
        if (TimeoutError.is(got)) expect(typeof got.details.timeoutMs).toBe('number');
      }),
      { numRuns: 500 },
    );
  });
});
