/**
 * The deployed versions one pool worker has loaded (the worker's side of `module-workers.ts`): a map from
 * deployed id (`name@version`, what a batch names) to the definition the worker runs.
 *
 * ```
 *  load { id, url, exportId } ─► import(url) (once per URL) ─► bound[id] = the bundle's exportId
 *  unload { id }              ─► bound[id] removed
 *  run name@version           ─► bound here? that definition : the static registry's
 * ```
 * Two versions from one bundle import it once: the bundle is parsed and its top level run once per worker.
 * ESM cannot be evicted from Node's module map, so an unloaded bundle's code stays in the worker's heap until the
 * worker ends; only the binding goes.
 */
import { createRegistry, type FunctionDefinition, type FunctionRegistry } from '@lucent/core/worker';
import type { WorkerModule } from './protocol.js';

/** See the module doc. One per worker. */
export class WorkerModules {
  /** Deployed id ─► definition. Read per batch: one `Map.get`. */
  readonly bound = new Map<string, FunctionDefinition>();
  /** URL ─► the functions the bundle exports, imported once. */
  readonly #imported = new Map<string, Promise<FunctionRegistry>>();

  /**
   * Imports the bundle of `module` (once per URL) and binds its id. Rejects with the import error, or a
   * `TypeError` when the bundle lacks the export; nothing is bound then. Idempotent.
   */
  async load(module: WorkerModule): Promise<void> {
    let exports = this.#imported.get(module.url);
    if (exports === undefined) {
      exports = import(module.url).then((namespace: object) => {
        const registry = createRegistry();
        registry.addModule(namespace);
        return registry;
      });
      this.#imported.set(module.url, exports);
      // A failed import may succeed later (the file written again): do not keep the failure.
      exports.catch(() => this.#imported.delete(module.url));
    }
    const definition = (await exports).find(module.exportId);
    if (definition === undefined) throw new TypeError(`${module.url} exports no function '${module.exportId}'`);
    this.bound.set(module.id, definition);
  }

  /** Unbinds `id`. Idempotent. */
  unload(id: string): void {
    this.bound.delete(id);
  }
}
