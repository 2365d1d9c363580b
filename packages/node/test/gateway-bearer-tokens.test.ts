import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { BearerTokens, GATEWAY_TOKENS_ENV, loadBearerTokens } from '../src/gateway/bearer-tokens.js';
import { codeOf } from './error-code.js';

const dir = mkdtempSync(join(tmpdir(), 'lucent-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('BearerTokens', () => {
  it('accepts exactly the configured tokens', () => {
    const tokens = new BearerTokens(['s3cret', 'other-token']);
    expect(tokens.required).toBe(true);
    expect(tokens.accepts('s3cret')).toBe(true);
    expect(tokens.accepts('other-token')).toBe(true);
    expect(tokens.accepts('s3cre')).toBe(false);
    expect(tokens.accepts('s3cret ')).toBe(false);
    expect(tokens.accepts('')).toBe(false);
    expect(tokens.accepts(undefined)).toBe(false);
  });

  it('reads `authorization: Bearer <token>` headers, scheme case-insensitive', () => {
    const tokens = new BearerTokens(['s3cret']);
    expect(tokens.acceptsHeader('Bearer s3cret')).toBe(true);
    expect(tokens.acceptsHeader('bearer   s3cret')).toBe(true);
    expect(tokens.acceptsHeader('Bearer wrong')).toBe(false);
    expect(tokens.acceptsHeader('Basic s3cret')).toBe(false);
    expect(tokens.acceptsHeader('s3cret')).toBe(false);
    expect(tokens.acceptsHeader(undefined)).toBe(false);
  });

  it('lets everything through when no token is configured', () => {
    const open = new BearerTokens([]);
    expect(open.required).toBe(false);
    expect(open.accepts(undefined)).toBe(true);
    expect(open.acceptsHeader(undefined)).toBe(true);
  });
});

describe('loadBearerTokens', () => {
  it('reads one token per line from the file, skipping blanks and # comments, plus the env list', () => {
    const path = file('tokens', '# ops team\nalpha\n\n  beta  \n#gamma\n');
    const tokens = loadBearerTokens(path, { [GATEWAY_TOKENS_ENV]: ' delta , ,epsilon' });
    for (const accepted of ['alpha', 'beta', 'delta', 'epsilon']) expect(tokens.accepts(accepted)).toBe(true);
    expect(tokens.accepts('gamma')).toBe(false);
    expect(tokens.accepts('# ops team')).toBe(false);
  });

  it('needs neither: no file and no env means no authentication', () => {
    expect(loadBearerTokens('', {}).required).toBe(false);
    expect(loadBearerTokens('', { [GATEWAY_TOKENS_ENV]: '' }).required).toBe(false);
    expect(loadBearerTokens('', { [GATEWAY_TOKENS_ENV]: 'only' }).accepts('only')).toBe(true);
  });

  it('refuses with ConfigError (field gatewayTokensFile) a missing file or one without a token', () => {
    for (const path of [join(dir, 'missing'), file('empty', '# nothing here\n\n')]) {
      let thrown: unknown;
      try {
        loadBearerTokens(path, {});
      } catch (error) {
        thrown = error;
      }
      expect(
        codeOf(() => {
          throw thrown;
        }),
      ).toBe(ConfigError.code);
      expect((thrown as ConfigError).details.field).toBe('gatewayTokensFile');
    }
  });
});
