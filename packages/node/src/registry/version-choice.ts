/**
 * Which deployed version a call goes to: pure, from the function's record, the caller's tags, and which versions
 * are routable (loaded on every node that hosts the function).
 *
 * ```
 *  versions ─► enabled, weight > 0 ─► not disabled for a caller tag ─► tags empty or shared with the caller
 *           ─► routable ─► core chooseFunction by weight (draw in [0, 1)) ─► name@version
 *  none left ─► undefined (the caller sends the bare name: the serving node's active version answers)
 * ```
 * Weighting goes through core's `chooseFunction` with every variant scoring alike, so traffic splits in
 * proportion to the weights.
 */
import { chooseFunction, type FunctionCandidate } from '@lucent/core/internal';
import type { DeployedVersion, FunctionRecord } from './function-record.js';

/** The versions of `record` a caller with `callerTags` may reach (enabled for it, weight > 0), ascending. */
export function eligibleVersions(record: FunctionRecord, callerTags: readonly string[]): DeployedVersion[] {
  return record.versions.filter(
    (v) =>
      v.enabled &&
      v.weight > 0 &&
      !v.disabledTags.some((tag) => callerTags.includes(tag)) &&
      (v.tags.length === 0 || v.tags.some((tag) => callerTags.includes(tag))),
  );
}

/**
 * The version a call from a caller with `callerTags` goes to, drawn by weight among the eligible versions that
 * `isRoutable` accepts; `undefined` when there is none. `draw` in [0, 1) (a random number).
 */
export function chooseVersion(
  record: FunctionRecord,
  callerTags: readonly string[],
  isRoutable: (version: string) => boolean,
  draw: number,
): DeployedVersion | undefined {
  const eligible = eligibleVersions(record, callerTags).filter((v) => isRoutable(v.version));
  if (eligible.length === 0) return undefined;
  if (eligible.length === 1) return eligible[0];
  const candidates: FunctionCandidate[] = eligible.map((v) => ({
    name: v.version,
    enabled: true,
    weight: v.weight,
    // Alike on every score input: the split follows the weights alone.
    load: 0,
    resource: 1,
    priority: 1,
    affinity: 0,
  }));
  const chosen = chooseFunction(candidates, undefined, draw);
  return eligible.find((v) => v.version === chosen.name);
}
