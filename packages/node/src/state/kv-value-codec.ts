/**
 * msgpack for KV values (snapshots, lease records). Plain msgpack (`useRecords: false`): values outlive the
 * process and are read by other nodes and other versions, so they must not depend on shared record structures.
 * Like JSON (unlike `structuredClone`), `-0` comes back as `0`; `undefined`, `Date` and byte arrays survive.
 *
 * msgpackr quietly packs a function as `undefined`; the in-memory twin (`structuredClone`) rejects it. Values are
 * checked first so both stores refuse the same things with `EncodeError`: a snapshot saved must load equal.
 */
import { DecodeError, EncodeError } from '@lucent/core/internal';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false });

/** Deeper than this is treated as a cycle (msgpackr would overflow the stack); snapshots are shallow. */
const MAX_DEPTH = 64;

/**
 * `value` as msgpack, in a buffer of its own. Throws `EncodeError` for what cannot be stored as plain data:
 * functions, symbols, cycles (or nesting past 64 levels), own `__proto__` keys, and anything msgpackr refuses.
 *
 * The copy matters: `pack()` returns a view into msgpackr's shared 8 KiB buffer, and the NATS client keeps a
 * reference to published data until it flushes (or, while disconnected, until it reconnects).
 */
export function encodeKvValue(value: unknown, what: string): Uint8Array {
  const problem = findUnstorable(value, 0);
  if (problem !== undefined) throw new EncodeError({ reason: `${what} is not plain data: ${problem}` });
  try {
    return new Uint8Array(packr.pack(value));
  } catch (cause) {
    throw new EncodeError({ reason: `${what}: ${(cause as Error).message}` }, { cause });
  }
}

/** The value stored in `bytes`. Throws `DecodeError` when they are not msgpack. */
export function decodeKvValue(bytes: Uint8Array, what: string): unknown {
  try {
    return packr.unpack(bytes);
  } catch (cause) {
    throw new DecodeError({ reason: `${what}: ${(cause as Error).message}`, byteLength: bytes.length }, { cause });
  }
}

/** A description of the first part of `value` that cannot be stored, or `undefined` when all of it can. */
function findUnstorable(value: unknown, depth: number): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof Date) {
    return undefined;
  }
  if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels (a cycle?)`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = findUnstorable(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const problem = findUnstorable(k, depth + 1) ?? findUnstorable(v, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value instanceof Set) return findUnstorable([...value], depth);
  for (const key of Object.keys(value)) {
    // msgpackr renames an own `__proto__` key on decode (a prototype-pollution guard): refuse it, do not alter it.
    if (key === '__proto__') return `an own '__proto__' key`;
    const problem = findUnstorable((value as Record<string, unknown>)[key], depth + 1);
    if (problem !== undefined) return `${problem} at '${key}'`;
  }
  return undefined;
}
