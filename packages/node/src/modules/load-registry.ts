/**
 * The functions a pool can run, read from its function modules into a core `FunctionRegistry`. The main
 * thread and every worker build the same registry from the same modules: the main thread reads metadata
 * (names, versions, timeouts, retry policies), workers call the handlers.
 */
// The worker's lean entry: every pool worker imports this module when it starts.
import { createRegistry, type FunctionRegistry } from '@lucent/core/worker';

/**
 * Imports `modules` in order and registers what they export (definitions, arrays of them, decorated classes).
 * Rejects with the import error of a module that fails to load, or the registry's `ConfigError` (e.g. the same
 * `name@version` defined twice).
 */
export async function loadRegistry(modules: readonly string[]): Promise<FunctionRegistry> {
  const registry = createRegistry();
  for (const id of modules) registry.addModule((await import(id)) as object);
  return registry;
}
