/**
 * Field-type checks for envelopes that come from outside the type system: decoded bytes, or values built by
 * JavaScript callers. The codec runs them on both encode (so a bad envelope fails at its sender) and decode.
 */
import { EnvelopeKind, isEnvelopeKind } from './envelope.js';

/**
 * Why `value` is not a well-formed envelope, or `''` when it is. Returns a string instead of throwing so the
 * hot path allocates nothing when the envelope is fine. Checks types, not meaning: an unknown target is the
 * router's business. For kind error the payload must look like a `WireError`.
 */
export function envelopeProblem(value: unknown): string {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const e = value as Record<string, unknown>;
  if (!isEnvelopeKind(e.kind)) return 'kind is not a known envelope kind';
  if (typeof e.id !== 'string') return 'id is not a string';
  // Requests need an id (answers and logs refer to it); answers go by their correlationId instead.
  const answer = e.kind === EnvelopeKind.Reply || e.kind === EnvelopeKind.Error;
  if (!answer && e.id.length === 0) return 'id is empty on a request-side envelope';
  if (typeof e.target !== 'string') return 'target is not a string';
  if (typeof e.correlationId !== 'string') return 'correlationId is not a string';
  if (!isNonNegativeNumber(e.deadline)) return 'deadline is not a non-negative number';
  if (!isNonNegativeInteger(e.hops)) return 'hops is not a non-negative integer';
  if (typeof e.traceparent !== 'string') return 'traceparent is not a string';
  if (typeof e.origin !== 'string') return 'origin is not a string';
  if (typeof e.causationId !== 'string') return 'causationId is not a string';
  if (e.metadata !== null) {
    const problem = metadataProblem(e.metadata);
    if (problem !== '') return problem;
  }
  // Present only on a retried request (see Envelope.attempt): 2 or more.
  if (e.attempt !== undefined && !(isNonNegativeInteger(e.attempt) && (e.attempt as number) >= 2)) {
    return 'attempt is not an integer >= 2';
  }
  if (e.kind === EnvelopeKind.Error) return wireErrorProblem(e.payload);
  return '';
}

/** Why `value` is not a `WireError` (the payload of an error envelope), or `''` when it is one. */
export function wireErrorProblem(value: unknown): string {
  if (typeof value !== 'object' || value === null) return 'error payload is not an object';
  const w = value as Record<string, unknown>;
  if (typeof w.code !== 'string') return 'error payload has no string code';
  if (typeof w.name !== 'string') return 'error payload has no string name';
  if (typeof w.message !== 'string') return 'error payload has no string message';
  if (typeof w.details !== 'object' || w.details === null) return 'error payload has no details object';
  if (w.origin !== undefined && typeof w.origin !== 'string') return 'error payload origin is not a string';
  return '';
}

/** Why `value` is not string key/values (envelope metadata), or `''`. Only messages that carry metadata pay for it. */
export function metadataProblem(value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'metadata is not an object or null';
  for (const key in value) {
    if (typeof (value as Record<string, unknown>)[key] !== 'string') return `metadata '${key}' is not a string`;
  }
  return '';
}

function isNonNegativeNumber(value: unknown): boolean {
  // NaN fails `>= 0`; Infinity is rejected because a deadline must be a real instant.
  return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY;
}

function isNonNegativeInteger(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && Number.isInteger(value);
}
