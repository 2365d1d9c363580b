/**
 * The gateway's authentication: a set of accepted bearer tokens, checked before any work is done.
 *
 * Tokens come from a file (one per line, `#` comments) and/or `LUCENT_GATEWAY_TOKENS` (comma-separated). With
 * none, authentication is off. Comparison is constant-time: each side is hashed to 32 bytes first, so neither the
 * content nor the length of a token leaks through timing, and every accepted token is compared on each check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@lucent/core/internal';

/** The environment variable holding accepted tokens, comma-separated. */
export const GATEWAY_TOKENS_ENV = 'LUCENT_GATEWAY_TOKENS';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** An immutable set of accepted tokens. */
export class BearerTokens {
  readonly #digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digest);
  }

  /** False when no token is configured: every request is let through. */
  get required(): boolean {
    return this.#digests.length > 0;
  }

  /** True when `token` is one of the accepted tokens (or none is required). */
  accepts(token: string | undefined): boolean {
    if (!this.required) return true;
    if (token === undefined || token === '') return false;
    const candidate = digest(token);
    let matched = false;
    for (const accepted of this.#digests) matched = timingSafeEqual(accepted, candidate) || matched;
    return matched;
  }

  /** Checks an `authorization` header value (`Bearer <token>`). */
  acceptsHeader(header: string | undefined): boolean {
    if (!this.required) return true;
    const match = header === undefined ? null : BEARER.exec(header);
    return this.accepts(match?.[1]);
  }
}

/**
 * Reads the accepted tokens from `file` (when not `''`) and from `env[GATEWAY_TOKENS_ENV]`. Throws `ConfigError`
 * (field `gatewayTokensFile`) when the file cannot be read or holds no token.
 */
export function loadBearerTokens(file: string, env: Readonly<Record<string, string | undefined>>): BearerTokens {
  const tokens: string[] = [];
  if (file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        {
          subject: 'lucent-node option --gateway-tokens-file',
          field: 'gatewayTokensFile',
          reason: `cannot read ${file}`,
        },
        { cause: error },
      );
    }
    const fromFile = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (fromFile.length === 0) {
      throw new ConfigError({
        subject: 'lucent-node option --gateway-tokens-file',
        field: 'gatewayTokensFile',
        reason: `${file} holds no token`,
      });
    }
    tokens.push(...fromFile);
  }
  const fromEnv = env[GATEWAY_TOKENS_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    tokens.push(
      ...fromEnv
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== ''),
    );
  }
  return new BearerTokens(tokens);
}
