/**
 * Loading TypeScript function modules in the pool's workers: the workers must use the loader the main thread
 * uses (`node --import tsx …`).
 *
 * The pool starts its workers with the main thread's `process.execArgv`, so a loader given as `--import X` runs
 * in every worker too. That is enough where the loader registers its hooks in workers itself. tsx 4 on Node 20
 * does not: it registers only on the main thread (expecting workers to inherit hooks, which Node 20 does not
 * do), so a worker then fails with `ERR_UNKNOWN_FILE_EXTENSION` for `.ts`. For that case the worker imports the
 * loader's registration module and calls its `register()` export (tsx's documented API), once, and imports again:
 *
 * ```
 *  execArgv  --import tsx | --import=tsx | --import tsx/esm | a path in node_modules/tsx/ ─►  'tsx/esm/api'
 *  anything else                                                             ─►  none (nothing to retry with)
 * ```
 * The registration module is resolved from the worker's file, i.e. from the `node_modules` @lucent/node is installed
 * in, which is where the user's project has its loader.
 */

/** The flags that name a module loaded before the entry point. */
const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader']);

/**
 * The registration modules (each exports `register()`) that stand for the loaders in `execArgv`, in order. Pure. Only
 * loaders known to skip worker threads are mapped (tsx); others are expected to work through `execArgv` alone.
 */
export function workerLoaderHooks(execArgv: readonly string[]): string[] {
  const hooks: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    let specifier: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0 && LOADER_FLAGS.has(arg.slice(0, eq))) specifier = arg.slice(eq + 1);
    else if (LOADER_FLAGS.has(arg)) specifier = execArgv[++i];
    if (specifier === undefined) continue;
    const hook = hooksModuleOf(specifier);
    if (hook !== undefined && !hooks.includes(hook)) hooks.push(hook);
  }
  return hooks;
}

function hooksModuleOf(specifier: string): string | undefined {
  if (specifier === 'tsx' || specifier === 'tsx/esm' || /[\\/]node_modules[\\/]tsx[\\/]/.test(specifier)) {
    return 'tsx/esm/api';
  }
  return undefined;
}

/** True for the error Node throws when no loader handles a file's extension (`.ts` without a loader). */
export function isUnknownExtensionError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION'
  );
}

/** What a `ConfigError` says to do when a module cannot be loaded because it is TypeScript and no loader runs. */
export const TYPESCRIPT_HINT =
  'Node.js cannot run TypeScript modules by itself: start the node with a loader, ' +
  "e.g. 'node --import tsx node_modules/.bin/lucent-node …' (tsx installed in your project), or compile to .js";
