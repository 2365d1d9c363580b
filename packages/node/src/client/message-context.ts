/**
 * What a caller may attach to a call or an emit besides its data: the conversation's correlation id, the id of
 * the message that caused it, W3C trace context and string metadata. The function sees them as `ctx` fields;
 * events it emits carry the same correlation id (and the call's id as their cause).
 */
import { ConfigError, type EnvelopeOptions, metadataProblem } from '@lucent/core/internal';

/** Options every message a client sends accepts. */
export interface MessageContextOptions {
  /** The conversation's id; default: the message's own id (it starts one). */
  readonly correlationId?: string;
  /** Id of the message that caused this one (e.g. the event the caller is handling). */
  readonly causationId?: string;
  /** W3C `traceparent` header value. */
  readonly traceparent?: string;
  /** String key/values for `ctx.metadata`. Throws `ConfigError` when a value is not a string. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Envelope options for `deadline` (0 = none), `origin` and the context in `options`. Throws `ConfigError` on bad metadata. */
export function envelopeContext(
  deadline: number,
  origin: string,
  options: MessageContextOptions | undefined,
): EnvelopeOptions {
  if (options === undefined) return { deadline, origin };
  const metadata = options.metadata;
  if (metadata !== undefined) {
    const problem = metadataProblem(metadata);
    if (problem !== '') throw new ConfigError({ subject: 'client', field: 'metadata', reason: problem });
  }
  return {
    deadline,
    origin,
    correlationId: checkedString(options.correlationId, 'correlationId'),
    causationId: checkedString(options.causationId, 'causationId'),
    traceparent: checkedString(options.traceparent, 'traceparent'),
    metadata: metadata ?? null,
  };
}

function checkedString(value: unknown, field: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new ConfigError({ subject: 'client', field, reason: 'must be a string' });
}

/** True when `options` carries a context (a correlation or causation id, metadata, a traceparent). */
export function hasContext(options: MessageContextOptions): boolean {
  return (
    options.correlationId !== undefined ||
    options.causationId !== undefined ||
    options.metadata !== undefined ||
    options.traceparent !== undefined
  );
}
