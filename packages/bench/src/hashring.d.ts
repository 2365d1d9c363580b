/**
 * Minimal types for `hashring` 3.2.0 (3rd-Eden), which ships none. Only what the `core/ring` bench uses:
 * the comparison ring for Lucent's `HashRing` (md5 ketama points, an LRU of 5000 keys in front of `get`).
 */
declare module 'hashring' {
  export default class HashRing {
    /** `servers`: ids (or `host:port` strings); every server gets the same weight. */
    constructor(servers: readonly string[], algorithm?: string, options?: Readonly<Record<string, unknown>>);
    /** The server for `key`, or undefined when the ring is empty. */
    get(key: string): string | undefined;
    add(servers: readonly string[]): this;
    remove(server: string): this;
  }
}
