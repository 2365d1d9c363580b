/**
 * A deployable module: the entry file and everything it imports, bundled by esbuild into one ESM file, so
 * TypeScript sources deploy as they are and a node needs nothing but the bundle's bytes.
 *
 * ```
 *  entry.ts ─► esbuild (bundle, esm, node20) ─► bytes ─► sha256 = checksum = object name
 *  bytes ─► <cache dir>/<checksum>.mjs ─► import ─► the functions it exports (a FunctionRegistry)
 * ```
 * Bundles are written to disk before importing because Node imports ESM from files (or data: URLs, which cannot
 * resolve `node:` builtins' `createRequire` the same way); the file name is the checksum, so a file is only ever
 * written once with its one content. Importing runs the module's top level: on a node that happens on the main
 * thread (metadata) and in each of the version's pool workers (code).
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyActorDefinition, isActorDefinition } from '@lucent/actors/internal';
import { ConfigError, createRegistry, type FunctionRegistry } from '@lucent/core/internal';
import { build } from 'esbuild';
import { toModuleUrl } from '../pool/worker-location.js';

// CommonJS dependencies inside an ESM bundle call `require` (of builtins, mostly): give them one.
const BANNER =
  "import { createRequire as __lucentCreateRequire } from 'node:module';\n" +
  'const require = __lucentCreateRequire(import.meta.url);';

/**
 * Bundles `entry` (a path; `.ts` works) into one ESM file and resolves with its bytes. The output depends only
 * on the sources, so bundling the same sources twice gives the same bytes (and checksum). Rejects with
 * `ConfigError` (field `entry`) listing esbuild's errors.
 */
export async function bundleModule(entry: string): Promise<Uint8Array> {
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      banner: { js: BANNER },
    });
    const file = result.outputFiles[0];
    if (file === undefined) throw new Error('esbuild produced no output');
    return file.contents;
  } catch (cause) {
    const errors = (cause as { errors?: { text: string }[] }).errors;
    const reason = errors?.map((e) => e.text).join('; ') ?? (cause instanceof Error ? cause.message : String(cause));
    throw new ConfigError({ subject: `deploy '${entry}'`, field: 'entry', reason }, { cause });
  }
}

/** Default root of the bundle files: `<os tmp>/lucent-modules` (each process writes under its own `<pid>`). */
export function defaultModuleCacheDir(): string {
  return join(tmpdir(), 'lucent-modules');
}

/**
 * Writes `bytes` to `<dir>/<checksum>.mjs` (once: an existing file with the same bytes is kept) and resolves with
 * the path. The caller has checked `checksum` against the bytes.
 */
export async function writeBundleFile(dir: string, checksum: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${checksum}.mjs`);
  const existing = await readFile(path).catch(() => undefined);
  if (existing !== undefined && Buffer.compare(existing, bytes) === 0) return path;
  // Write then rename: a concurrent reader never imports a half-written file.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, path);
  return path;
}

/** Removes `<dir>/<checksum>.mjs` (written by {@link writeBundleFile}). Idempotent; never rejects. */
export async function removeBundleFile(dir: string, checksum: string): Promise<void> {
  await rm(join(dir, `${checksum}.mjs`), { force: true }).catch(() => undefined);
}

/** What a bundle exports: its functions and its actor types. */
export interface BundleExports {
  readonly functions: FunctionRegistry;
  readonly actors: readonly AnyActorDefinition[];
}

/**
 * Imports the bundle at `path` and collects what it exports: function definitions (as `FunctionRegistry.addModule`
 * does) and actor definitions (made by `defineActor`, also in arrays). Rejects with `ConfigError` (field `entry`)
 * when it does not import, or exports neither.
 */
export async function loadBundleExports(path: string, what: string): Promise<BundleExports> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(toModuleUrl(path))) as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(
      { subject: what, field: 'entry', reason: 'the bundle does not import (see the cause)' },
      { cause },
    );
  }
  const functions = createRegistry();
  functions.addModule(namespace);
  const actors = new Set<AnyActorDefinition>();
  for (const value of Object.values(namespace)) {
    for (const item of Array.isArray(value) ? value : [value]) if (isActorDefinition(item)) actors.add(item);
  }
  if (functions.size === 0 && actors.size === 0) {
    const reason = 'exports no function (defineFunction) and no actor type (defineActor)';
    throw new ConfigError({ subject: what, field: 'entry', reason });
  }
  return { functions, actors: [...actors] };
}

/**
 * The functions the bundle at `path` exports. Rejects with `ConfigError` (field `entry`) when it does not
 * import or exports no function definition.
 */
export async function loadBundleFunctions(path: string, what: string): Promise<FunctionRegistry> {
  const { functions } = await loadBundleExports(path, what);
  if (functions.size === 0) {
    throw new ConfigError({ subject: what, field: 'entry', reason: 'exports no function definition (defineFunction)' });
  }
  return functions;
}
