/**
 * Loading `--actors` modules: every export that is an actor definition (made by `defineActor`), or an array
 * of them, becomes a function actor type of the node.
 */
import { type AnyActorDefinition, isActorDefinition, isSagaDefinition } from '@lucent/actors/internal';
import { ConfigError } from '@lucent/core/internal';
import { isUnknownExtensionError, TYPESCRIPT_HINT } from '../pool/worker-loader.js';
import { toModuleUrl } from '../pool/worker-location.js';

/**
 * Imports `modules` in order and returns their actor definitions, each once (a definition exported under two
 * names counts once). Rejects with `ConfigError` (field `actors`) when a module fails to import or exports no
 * actor definition, or when two different definitions share a type.
 */
export async function loadActorDefinitions(modules: readonly string[]): Promise<AnyActorDefinition[]> {
  const definitions: AnyActorDefinition[] = [];
  const byType = new Map<string, AnyActorDefinition>();
  for (const module of modules) {
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(toModuleUrl(module))) as Record<string, unknown>;
    } catch (cause) {
      // The cause's message is not repeated here: loggers print it with the cause (pino appends it once).
      const reason = isUnknownExtensionError(cause)
        ? `cannot import '${module}': ${TYPESCRIPT_HINT}`
        : `cannot import '${module}' (see the cause)`;
      throw new ConfigError({ subject: 'lucent-node option --actors', field: 'actors', reason }, { cause });
    }
    let found = 0;
    for (const value of Object.values(namespace)) {
      for (const exported of Array.isArray(value) ? value : [value]) {
        // A saga is hosted as its actor (`saga-<name>`); the saga extension drives it.
        const candidate: unknown = isSagaDefinition(exported) ? exported.actor : exported;
        if (!isActorDefinition(candidate)) continue;
        found++;
        const existing = byType.get(candidate.type);
        if (existing === candidate) continue;
        if (existing !== undefined) {
          const reason = `actor type '${candidate.type}' is defined twice (again in '${module}')`;
          throw new ConfigError({ subject: 'lucent-node option --actors', field: 'actors', reason });
        }
        byType.set(candidate.type, candidate);
        definitions.push(candidate);
      }
    }
    if (found === 0) {
      const reason = `'${module}' exports no actor definition (made by defineActor)`;
      throw new ConfigError({ subject: 'lucent-node option --actors', field: 'actors', reason });
    }
  }
  return definitions;
}
