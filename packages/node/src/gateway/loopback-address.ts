/**
 * Whether a peer address is this host's loopback: `127.0.0.0/8`, `::1`, or either written as an IPv4-mapped IPv6
 * address. Used to keep `/events` on the node's all-interfaces HTTP port local unless the operator configured
 * tokens or a host (the "bind to 127.0.0.1 unless told otherwise"). Pure.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}
