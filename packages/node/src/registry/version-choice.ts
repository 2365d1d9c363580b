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
 * The choice among a record's versions for one caller, prepared once per record and view: the eligible,
 * routable versions as core scoring candidates. {@link VersionChoice.pick} then costs one pass over them.
 */
export class VersionChoice {
  /** The versions a call may go to, ascending; empty: none (send the bare name). */
  readonly versions: readonly DeployedVersion[];
  readonly #candidates: readonly FunctionCandidate[];
  readonly #byName: ReadonlyMap<string, DeployedVersion>;

  constructor(record: FunctionRecord, callerTags: readonly string[], isRoutable: (version: string) => boolean) {
    this.versions = eligibleVersions(record, callerTags).filter((v) => isRoutable(v.version));
    this.#candidates = this.versions.map(candidateOf);
    this.#byName = new Map(this.versions.map((v) => [v.version, v]));
  }

  /** The version for `draw` in [0, 1), by weight; `undefined` when there is none. Allocates nothing. */
  pick(draw: number): DeployedVersion | undefined {
    const versions = this.versions;
    if (versions.length <= 1) return versions[0];
    return this.#byName.get(chooseFunction(this.#candidates, undefined, draw).name);
  }
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
  return new VersionChoice(record, callerTags, isRoutable).pick(draw);
}

function candidateOf(v: DeployedVersion): FunctionCandidate {
  return {
    name: v.version,
    enabled: true,
    weight: v.weight,
    // Alike on every score input: the split follows the weights alone.
    load: 0,
    resource: 1,
    priority: 1,
    affinity: 0,
  };
}
