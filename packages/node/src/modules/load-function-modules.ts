/**
 * Loading `--functions` modules on the node's main thread, once per node: the registry it returns gives the
 * router names, versions, `shardBy` and event handlers, and is handed to the function pool for its metadata.
 * The pool's workers import the same modules themselves, to run the handlers.
 */
import { ConfigError, type FunctionRegistry } from '@lucent/core/internal';
import { toModuleUrl } from '../pool/worker-location.js';
import { loadRegistry } from './load-registry.js';

/**
 * Imports `modules` in order and returns the registry of the functions they export (empty for no modules).
 * Rejects with `ConfigError` (field `functions`): the registry's own (a `name@version` defined twice), or one
 * wrapping a module's import error as `cause`.
 */
export async function loadFunctionModules(modules: readonly string[]): Promise<FunctionRegistry> {
  try {
    return await loadRegistry(modules.map(toModuleUrl));
  } catch (cause) {
    if (ConfigError.is(cause)) throw cause;
    const reason = `cannot load function modules: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new ConfigError({ subject: 'lucent-node option --functions', field: 'functions', reason }, { cause });
  }
}
