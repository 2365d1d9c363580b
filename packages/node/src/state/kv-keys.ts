/**
 * Pure naming for JetStream KV: store keys → KV keys, and bucket names per cluster.
 *
 * KV keys are subject tokens and may hold only `[-/_=.a-zA-Z0-9]`, with `.` splitting tokens (so no leading,
 * trailing or doubled dot). Actor ids may hold anything, so keys are escaped, quoted-printable style:
 *
 * ```
 * kept as is     A-Z a-z 0-9 - _ /        'Counter/o-1'   → 'Counter/o-1'
 * escaped        every other UTF-8 byte   'Order/a.b c'   → 'Order/a=2Eb=20c'
 *                as '=' + 2 uppercase hex  '='             → '=3D'
 * empty string   '='  (a lone '=' is never an escape)
 * ```
 * The mapping is injective (escapes use only uppercase hex, `=` is always escaped), so distinct store keys never
 * share a KV key, and the result never contains `.`: each key is one subject token, never a wildcard.
 */
import { ConfigError, DecodeError, EncodeError } from '@lucent/core/internal';

/** Characters a KV key keeps unescaped. `=` is the escape character and `.` the token separator, so neither is. */
const PLAIN_KEY = /^[A-Za-z0-9\-_/]+$/;
const EMPTY_KEY = '=';
const HEX = '0123456789ABCDEF';
/** 1 for ASCII codes kept as is. */
const PLAIN = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/') PLAIN[char.charCodeAt(0)] = 1;
/** `=XX` for each byte, built once: escaping is a table lookup per byte. */
const ESCAPE: readonly string[] = Array.from({ length: 256 }, (_, b) => `=${HEX[b >> 4]}${HEX[b & 15]}`);
const esc = (byte: number): string => ESCAPE[byte] as string;
/** Value of an uppercase hex digit by char code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX.charCodeAt(i)] = i;

/**
 * Longest KV key {@link encodeKvKey} callers should send. The server's control line (subject included) is 4 KiB by
 * default; this leaves room for the `$KV.<bucket>.` prefix, a reply subject and headers.
 */
export const MAX_KV_KEY_LENGTH = 2048;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The KV key for a store key (see the file comment for the scheme). Keys made only of `[A-Za-z0-9-_/]`, such as
 * `Counter/o-1`, are returned unchanged without allocating. Throws `EncodeError` for strings that are not
 * well-formed UTF-16 (lone surrogates would not survive UTF-8) and for results over {@link MAX_KV_KEY_LENGTH}.
 */
export function encodeKvKey(key: string): string {
  if (PLAIN_KEY.test(key)) return checkLength(key, key);
  if (key === '') return EMPTY_KEY;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x80) {
      out += PLAIN[c] === 1 ? key.charAt(i) : esc(c);
    } else if (c < 0x800) {
      out += esc(0xc0 | (c >> 6)) + esc(0x80 | (c & 63));
    } else if (c < 0xd800 || c > 0xdfff) {
      out += esc(0xe0 | (c >> 12)) + esc(0x80 | ((c >> 6) & 63)) + esc(0x80 | (c & 63));
    } else {
      const low = key.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
        throw new EncodeError({ reason: 'store key is not well-formed UTF-16 (lone surrogate)' });
      }
      const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      out += esc(0xf0 | (cp >> 18)) + esc(0x80 | ((cp >> 12) & 63));
      out += esc(0x80 | ((cp >> 6) & 63)) + esc(0x80 | (cp & 63));
      i++;
    }
  }
  return checkLength(out, key);
}

function checkLength(encoded: string, key: string): string {
  if (encoded.length > MAX_KV_KEY_LENGTH) {
    throw new EncodeError({
      reason: `store key '${key.slice(0, 64)}…' is ${encoded.length} chars as a KV key (max ${MAX_KV_KEY_LENGTH})`,
    });
  }
  return encoded;
}

/**
 * The store key a KV key came from: the inverse of {@link encodeKvKey}. Throws `DecodeError` for anything
 * `encodeKvKey` cannot produce (a raw `.`, lowercase or truncated escapes, invalid UTF-8).
 */
export function decodeKvKey(kvKey: string): string {
  if (PLAIN_KEY.test(kvKey)) return kvKey;
  if (kvKey === EMPTY_KEY) return '';
  const bytes = new Uint8Array(kvKey.length);
  let length = 0;
  for (let i = 0; i < kvKey.length; i++) {
    const c = kvKey.charCodeAt(i);
    if (c === 0x3d /* = */) {
      const high = i + 2 < kvKey.length ? hexValue(kvKey.charCodeAt(i + 1)) : -1;
      const low = high < 0 ? -1 : hexValue(kvKey.charCodeAt(i + 2));
      if (low < 0) throw badKey(kvKey, `bad escape at ${i}`);
      bytes[length++] = high * 16 + low;
      i += 2;
    } else if (c < 0x80 && PLAIN[c] === 1) {
      bytes[length++] = c;
    } else {
      throw badKey(kvKey, `unexpected '${kvKey.charAt(i)}' at ${i}`);
    }
  }
  let decoded: string;
  try {
    decoded = decoder.decode(bytes.subarray(0, length));
  } catch (cause) {
    throw new DecodeError({ reason: `KV key '${kvKey}' is not UTF-8`, byteLength: length }, { cause });
  }
  // Escaping a byte `encodeKvKey` keeps plain (e.g. '=41' for 'A') would make a second spelling of one key.
  if (encodeKvKey(decoded) !== kvKey) throw badKey(kvKey, 'not in canonical form');
  return decoded;
}

function hexValue(code: number): number {
  return code < 128 ? (HEX_VALUE[code] as number) : -1;
}

function badKey(kvKey: string, reason: string): DecodeError {
  return new DecodeError({ reason: `KV key '${kvKey}': ${reason}`, byteLength: kvKey.length });
}

/** What a Lucent KV bucket holds; part of its name. */
export type KvBucketRole = 'state' | 'leases' | 'schedules' | 'sagas' | 'reminders' | 'registry';

const BUCKET_PART = /^[A-Za-z0-9\-_]+$/;

/**
 * The bucket for `role` in `cluster`: `lucent-<cluster>-<role>` (bucket names allow only `[-_a-zA-Z0-9]`).
 * Throws `ConfigError` when the cluster name holds anything else, rather than escaping it: bucket names are
 * read by operators (`nats kv ls`).
 */
export function kvBucketName(cluster: string, role: KvBucketRole): string {
  if (!BUCKET_PART.test(cluster)) {
    throw new ConfigError({
      subject: 'KV bucket',
      field: 'cluster',
      reason: `'${cluster}' may only hold letters, digits, '-' and '_'`,
    });
  }
  return `lucent-${cluster}-${role}`;
}
