/**
 * Reading the CloudEvents of one HTTP request (the CloudEvents HTTP protocol binding 1.0) with the CloudEvents SDK,
 * and validating them. Pure: headers and body in, the events to emit out, or an `InvalidCloudEventError` saying
 * what is wrong (the whole request is refused then; nothing of it is published).
 *
 * ```
 *  content-type application/cloudevents-batch+json  batch       JSON array, each element an event as in structured mode
 *  content-type application/cloudevents+json        structured  the whole event (attributes + data) in the JSON body
 *  otherwise, with a ce-id header                   binary      attributes in ce-* headers, data = the body
 *                                                               (parsed for a JSON content type, bytes for others)
 * ```
 * Checks beyond the SDK's schema: `id` and `specversion` must be present (the SDK would invent an id, and an
 * invented id would defeat deduplication), and `type` must be a Lucent event type name.
 */
import { InvalidCloudEventError } from '@lucent/core/internal';
import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import { fromCloudEvent, type LucentEventFromCloudEvent } from './lucent-cloud-event.js';

/** The content type of a batch of events. */
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';
/** The content type of one event in structured mode. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** One HTTP request as the parser needs it (Node's `IncomingMessage.headers`: lower-case names). */
export interface CloudEventsHttpRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Uint8Array;
}

/**
 * The events of `request`, in order (one for binary and structured mode, any number for a batch). Throws
 * `InvalidCloudEventError` for a request that is not a CloudEvent, malformed JSON, an event that fails the spec's
 * schema, or a type Lucent cannot take; for a batch the reason names the element.
 */
export function parseCloudEvents(request: CloudEventsHttpRequest): LucentEventFromCloudEvent[] {
  // The SDK builds a ValidationError for every check it passes (as an argument to `isDefinedOrThrow(value, error)`),
  // and capturing their stacks was ~90% of a binary event's parse (about 120 µs of 137). The parse is synchronous,
  // so no stacks for its duration costs nothing else; the errors that escape are user input problems (400).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseRequest(request);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseRequest(request: CloudEventsHttpRequest): LucentEventFromCloudEvent[] {
  const headers = flatHeaders(request.headers);
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith(BATCH_CONTENT_TYPE)) return parseBatch(request.body);
  if (contentType.startsWith('application/cloudevents')) {
    return [toLucent(structured(headers, request.body), '')];
  }
  if (headers['ce-id'] !== undefined) return [toLucent(binary(headers, request.body), '')];
  throw invalid(
    `not a CloudEvent: no ce-id header (binary mode) and content-type '${contentType}' is neither ` +
      `${STRUCTURED_CONTENT_TYPE} (structured mode) nor ${BATCH_CONTENT_TYPE} (batch)`,
  );
}

function binary(headers: Record<string, string>, body: Uint8Array): CloudEvent<unknown> {
  if (!headers['ce-id']) throw invalid('the ce-id header is empty');
  if (headers['ce-specversion'] === undefined) throw invalid('the ce-specversion header is missing');
  // JSON and text are handed to the SDK as a string (it parses JSON); anything else stays bytes.
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  const textual = contentType === '' || contentType.includes('json') || contentType.startsWith('text/');
  const data = body.byteLength === 0 ? undefined : textual ? Buffer.from(body).toString('utf8') : Buffer.from(body);
  return sdk(() => HTTP.toEvent({ headers, body: data }) as CloudEvent<unknown>, '');
}

function structured(headers: Record<string, string>, body: Uint8Array): CloudEvent<unknown> {
  const parsed = parseJson(body);
  checkRequired(parsed, '');
  return sdk(() => HTTP.toEvent({ headers, body: parsed as Record<string, unknown> }) as CloudEvent<unknown>, '');
}

function parseBatch(body: Uint8Array): LucentEventFromCloudEvent[] {
  const parsed = parseJson(body);
  if (!Array.isArray(parsed)) throw invalid(`a ${BATCH_CONTENT_TYPE} body must be a JSON array`);
  return parsed.map((element: unknown, index) => {
    const where = `batch element ${index}: `;
    checkRequired(element, where);
    // What the SDK's own batch reader does per element (strict: validated on construction).
    return toLucent(
      sdk(() => new CloudEvent<unknown>(element as Record<string, unknown>), where, false),
      where,
    );
  });
}

function toLucent(event: CloudEvent<unknown>, where: string): LucentEventFromCloudEvent {
  const mapped = fromCloudEvent(event);
  if (typeof mapped === 'string') throw invalid(where + mapped);
  return mapped;
}

/**
 * Runs an SDK step and validates its event (unless the step did: a strict constructor); the SDK's errors become
 * `InvalidCloudEventError`.
 */
function sdk(read: () => CloudEvent<unknown>, where: string, validate = true): CloudEvent<unknown> {
  try {
    const event = read();
    if (validate) event.validate();
    return event;
  } catch (error) {
    throw invalid(where + describe(error), error);
  }
}

function checkRequired(value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${where}an event must be a JSON object`);
  }
  const { id, specversion } = value as { id?: unknown; specversion?: unknown };
  if (typeof id !== 'string' || id === '') throw invalid(`${where}'id' must be a non-empty string`);
  if (typeof specversion !== 'string') throw invalid(`${where}'specversion' is missing`);
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    throw invalid(`the body is not JSON (${(error as Error).message})`, error);
  }
}

/** The SDK's schema errors (ajv objects) as one line: "must have required property 'source'; …". */
function describe(error: unknown): string {
  if (error instanceof ValidationError && Array.isArray(error.errors) && error.errors.length > 0) {
    return error.errors
      .map((entry) => {
        if (typeof entry !== 'object' || entry === null) return String(entry);
        const { instancePath, message } = entry as { instancePath?: unknown; message?: unknown };
        const path = typeof instancePath === 'string' && instancePath !== '' ? `${instancePath.slice(1)} ` : '';
        return `${path}${String(message)}`;
      })
      .join('; ');
  }
  const message = error instanceof Error ? error.message : String(error);
  // The SDK's messages can run over several lines of advice; the first says what is wrong.
  return message.split('\n', 1)[0] as string;
}

/** Node gives a repeated header as an array; the SDK reads strings. */
function flatHeaders(headers: CloudEventsHttpRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(',');
  }
  return out;
}

function invalid(reason: string, cause?: unknown): InvalidCloudEventError {
  return new InvalidCloudEventError({ field: '', reason }, cause === undefined ? {} : { cause });
}
