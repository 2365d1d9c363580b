import { ConfigError, DecodeError, EncodeError } from '@lucent/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKvKey, encodeKvKey, kvBucketName, MAX_KV_KEY_LENGTH } from '../src/state/kv-keys.js';
import { codeOf } from './error-code.js';

/** What nats.js `validateKey` accepts, plus no empty token: the server treats `.` as a token separator. */
function isValidKvKey(key: string): boolean {
  return /^[-/=.\w]+$/.test(key) && !key.startsWith('.') && !key.endsWith('.') && !key.includes('..');
}

describe('encodeKvKey / decodeKvKey', () => {
  it('keeps actor keys made of safe characters unchanged', () => {
    for (const key of ['Counter/o-1', 'a_b/C-9', '/lead/trail/']) {
      expect(encodeKvKey(key)).toBe(key);
      expect(decodeKvKey(key)).toBe(key);
    }
  });

  it('escapes everything else as =XX of its UTF-8 bytes, and the empty key as a lone =', () => {
    expect(encodeKvKey('Order/a.b c')).toBe('Order/a=2Eb=20c');
    expect(encodeKvKey('=')).toBe('=3D');
    expect(encodeKvKey('é')).toBe('=C3=A9');
    expect(encodeKvKey('*.>')).toBe('=2A=2E=3E');
    expect(encodeKvKey('')).toBe('=');
    expect(decodeKvKey('=')).toBe('');
  });

  it('round-trips any well-formed string to a valid single-token KV key (property)', () => {
    const anyString = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('.', '=', '/', '*', '>', ' ', 'A', 'é', '🙂', '_', '-') }),
    );
    fc.assert(
      fc.property(anyString, (key) => {
        const encoded = encodeKvKey(key);
        expect(isValidKvKey(encoded)).toBe(true);
        expect(encoded).not.toContain('.');
        expect(decodeKvKey(encoded)).toBe(key);
      }),
      { numRuns: 300 },
    );
  });

  it('never maps two keys to one KV key (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        fc.pre(a !== b);
        expect(encodeKvKey(a)).not.toBe(encodeKvKey(b));
      }),
    );
  });

  it('rejects strings that are not well-formed UTF-16, and keys too long for a subject, with EncodeError', () => {
    expect(codeOf(() => encodeKvKey('a\uD800b'))).toBe(EncodeError.code);
    expect(codeOf(() => encodeKvKey('x'.repeat(MAX_KV_KEY_LENGTH + 1)))).toBe(EncodeError.code);
    expect(codeOf(() => encodeKvKey('.'.repeat(MAX_KV_KEY_LENGTH / 3 + 1)))).toBe(EncodeError.code);
    expect(encodeKvKey('x'.repeat(MAX_KV_KEY_LENGTH))).toHaveLength(MAX_KV_KEY_LENGTH);
  });

  it('rejects what encodeKvKey cannot produce with DecodeError', () => {
    for (const bad of ['a.b', '=4', '=4G', '=4a', '=41', 'x=', '=C3', 'a b', '==']) {
      expect(
        codeOf(() => decodeKvKey(bad)),
        bad,
      ).toBe(DecodeError.code);
    }
  });
});

describe('kvBucketName', () => {
  it('is lucent-<cluster>-<role>, and refuses cluster names a bucket cannot hold', () => {
    expect(kvBucketName('lucent', 'state')).toBe('lucent-lucent-state');
    expect(kvBucketName('prod_eu-1', 'leases')).toBe('lucent-prod_eu-1-leases');
    for (const bad of ['', 'a.b', 'a b', 'a/b', 'a*']) {
      expect(
        codeOf(() => kvBucketName(bad, 'state')),
        bad,
      ).toBe(ConfigError.code);
    }
  });
});
