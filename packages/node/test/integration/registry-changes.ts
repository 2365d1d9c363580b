/** Registry changes in the integration tests: a `lucent` command, then every node has applied the registry after it. */
import type { NodeProcess } from '../../src/testing/node-process.js';
import { until } from './wait-until.js';

/** How many registry changes `node` has applied (its `registry.applied` log lines). */
export function appliedCount(node: NodeProcess): number {
  return node.lines.filter((line) => line.msg === 'registry.applied').length;
}

/** Runs `change` (a `lucent` command) and resolves once every node of `nodes` has applied the registry after it. */
export async function applyEverywhere(
  nodes: readonly NodeProcess[],
  what: string,
  change: () => Promise<unknown>,
): Promise<void> {
  const before = nodes.map(appliedCount);
  await change();
  await until(`${what} applied on every node`, () => nodes.every((node, i) => appliedCount(node) > before[i]!));
}
