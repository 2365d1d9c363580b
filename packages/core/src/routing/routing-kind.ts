/**
 * What a strategy is, as a small closed set: placement reads it to know whether a node that receives a call may
 * serve it (`placeCallAt`), and whether its owner answers `OverloadedError` when busy (`ownsKeys` in
 * `definition.ts`).
 */
export const RoutingKind = {
  Hash: 'hash',
  Sticky: 'sticky',
  Pin: 'pin',
  Range: 'range',
  RoundRobin: 'roundRobin',
  LeastLoaded: 'leastLoaded',
} as const;
export type RoutingKind = (typeof RoutingKind)[keyof typeof RoutingKind];

/** `canServe` of the strategies that do not restrict which members serve: every member may. */
export function servesAny(): boolean {
  return true;
}
