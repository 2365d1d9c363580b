// The README's first quick-start command runs this demo: keep it working (needs `tsc -b`, which `pnpm test` runs).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('core tour demo', () => {
  it('places every order on its ring owner, revives a typed error and rejects garbage', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main], { timeout: 15_000 });
    const routed = stdout.split('\n').filter((line) => /^o-\d .* -> shard-[abc] \(ring owner/.test(line));
    expect(routed).toHaveLength(6);
    // One symbol, one shard: both AAPL orders land together.
    const aapl = routed.filter((l) => l.includes('AAPL')).map((l) => l.split('->')[1]?.split('(')[0]);
    expect(new Set(aapl).size).toBe(1);
    expect(stdout).toContain('TimeoutError LUCENT_TIMEOUT from shard-a');
    expect(stdout).toContain('garbage in: LUCENT_DECODE');
  });
});
