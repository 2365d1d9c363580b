/**
 * Where the worker entry and the function modules are, as URLs piscina and `import()` accept.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The compiled worker entry, `dist/pool/worker.js`. Next to this file when it runs from `dist`; when it runs
 * from TypeScript sources (vitest), `/src/pool/` is mapped to `/dist/pool/`, because piscina can only load
 * JavaScript: build the package (`npx tsc -b packages/node`) before running the pool from sources.
 */
export function defaultWorkerFilename(): string {
  const url = new URL('./worker.js', import.meta.url);
  url.pathname = url.pathname.replace(/\/src\/pool\/worker\.js$/, '/dist/pool/worker.js');
  return url.href;
}

/**
 * A module reference both threads can import: URLs and `file:` strings as they are, paths (absolute, or
 * relative to the process's cwd) as `file:` URLs, anything else (a bare specifier) unchanged.
 */
export function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (isAbsolute(module) || module.startsWith('.')) return pathToFileURL(resolve(module)).href;
  return module;
}
