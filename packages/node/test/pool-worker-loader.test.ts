import { describe, expect, it } from 'vitest';
import { isUnknownExtensionError, workerLoaderHooks } from '../src/pool/worker-loader.js';

describe('workerLoaderHooks (which loaders a worker registers itself)', () => {
  it('maps tsx however it was named on the command line', () => {
    expect(workerLoaderHooks(['--import', 'tsx'])).toEqual(['tsx/esm/api']);
    expect(workerLoaderHooks(['--import=tsx'])).toEqual(['tsx/esm/api']);
    expect(workerLoaderHooks(['--import', 'tsx/esm', '--import', 'tsx'])).toEqual(['tsx/esm/api']);
    expect(workerLoaderHooks(['--import', 'file:///p/node_modules/tsx/dist/esm/index.mjs'])).toEqual(['tsx/esm/api']);
  });

  it('ignores other flags and loaders that reach workers through execArgv alone', () => {
    expect(workerLoaderHooks([])).toEqual([]);
    expect(workerLoaderHooks(['--enable-source-maps', '--import', './otel.mjs', '--max-old-space-size=512'])).toEqual(
      [],
    );
    expect(workerLoaderHooks(['--import'])).toEqual([]);
  });

  it('recognises the error of a .ts file without a loader by its code', () => {
    expect(isUnknownExtensionError(Object.assign(new TypeError('x'), { code: 'ERR_UNKNOWN_FILE_EXTENSION' }))).toBe(
      true,
    );
    expect(isUnknownExtensionError(new Error('Unknown file extension'))).toBe(false);
  });
});
