/**
 * The 32-bit hash of the ring: MurmurHash3 x86_32 over the UTF-8 bytes of a string.
 *
 * Why murmur3 and not plain FNV-1a: ring points are hashes of near-identical strings (`node-7#0`, `node-7#1`, ...)
 * and FNV-1a's top bits avalanche poorly on such inputs, which skews arc sizes. murmur3 ends in a full avalanche
 * (fmix32) and costs about the same per byte (two `Math.imul` per 4 bytes instead of one per byte).
 *
 * Why UTF-8 and not UTF-16 code units: the hash is part of the wire contract (every process and every client must
 * place a key on the same node), and UTF-8 murmur3 is what any other language computes for the same string.
 * The string is encoded inline, byte by byte, so hashing allocates nothing.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  let x = Math.imul(k, C1);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, C2);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

/**
 * The murmur3 finalizer (fmix32): a bijective avalanche of a 32-bit integer, returned unsigned. Used to mix two
 * hashes cheaply, e.g. a key's hash with a node's for rendezvous choice among a few shards.
 */
export function mix32(value: number): number {
  let x = value | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function finish(h: number, tail: number, tailBytes: number, length: number): number {
  let x = h;
  if (tailBytes > 0) {
    let k = Math.imul(tail, C1);
    k = (k << 15) | (k >>> 17);
    x ^= Math.imul(k, C2);
  }
  return mix32(x ^ length);
}

/**
 * MurmurHash3 x86_32 of the UTF-8 encoding of `text` (lone surrogates encode as U+FFFD, as `TextEncoder` does).
 * Returns an unsigned 32-bit integer. Pure, allocation-free, and equal to {@link murmur3Bytes} of
 * `new TextEncoder().encode(text)` with the same seed.
 */
export function hash32(text: string, seed = 0): number {
  const n = text.length;
  let h = seed | 0;
  let i = 0;
  // Fast path: four ASCII characters are one 4-byte block.
  for (; i + 4 <= n; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) break;
    // mixBlock, inlined by hand: V8 did not, and this loop is most of a lookup's cost.
    let k = Math.imul(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (n - i < 4) {
    // An ASCII tail of 0-3 characters is the pending partial block.
    let tail = 0;
    let ascii = true;
    for (let j = i; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c >= 0x80) ascii = false;
      tail |= c << ((j - i) << 3);
    }
    if (ascii) return finish(h, tail, n - i, n);
  }
  // General path (the ASCII tail, or everything from the first non-ASCII block): encode each code point to a
  // UTF-8 sequence packed little-endian in one int, then feed its bytes into the pending block.
  let length = i;
  let block = 0;
  let blockBytes = 0;
  for (; i < n; i++) {
    let c = text.charCodeAt(i);
    let sequence: number;
    let sequenceBytes: number;
    if (c < 0x80) {
      sequence = c;
      sequenceBytes = 1;
    } else if (c < 0x800) {
      sequence = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      sequenceBytes = 2;
    } else {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        sequence =
          0xf0 |
          (cp >> 18) |
          ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
          ((0x80 | ((cp >> 6) & 0x3f)) << 16) |
          ((0x80 | (cp & 0x3f)) << 24);
        sequenceBytes = 4;
      } else {
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        sequence = 0xe0 | (c >> 12) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        sequenceBytes = 3;
      }
    }
    length += sequenceBytes;
    for (let b = 0; b < sequenceBytes; b++) {
      block |= ((sequence >>> (b << 3)) & 0xff) << (blockBytes << 3);
      if (++blockBytes === 4) {
        h = mixBlock(h, block);
        block = 0;
        blockBytes = 0;
      }
    }
  }
  return finish(h, block, blockBytes, length);
}

/** MurmurHash3 x86_32 of raw bytes (the reference form of {@link hash32}). Returns an unsigned 32-bit integer. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = mixBlock(h, k);
  }
  let tail = 0;
  const tailBytes = bytes.length - blocks;
  for (let j = 0; j < tailBytes; j++) tail |= bytes[blocks + j]! << (j << 3);
  return finish(h, tail, tailBytes, bytes.length);
}
