/**
 * CloudEvent data ⇄ Lucent values, for the gRPC gateway. Pure: no I/O, no clock.
 *
 * ```
 *  request event ─ datacontenttype (default application/json) ─► how `data` decodes ─► the function's input
 *                └ `accept` extension (default: the request's type) ─► how the result is encoded
 *  binary_data   JSON (UTF-8 text) or msgpack bytes
 *  text_data     JSON text only (msgpack is binary)
 *  proto_data    a protobuf `Any` holding a JSON-like value (Struct, Value, wrappers: `proto-any-data.ts`)
 *  no data       the input is `undefined`
 * ```
 * msgpack here is plain MessagePack (maps, not msgpackr's record extension), so any language's library reads it.
 */
import { EncodeError, InvalidCloudEventError } from '@lucent/core/internal';
import { Packr } from 'msgpackr';
import { readProtoAny } from './proto-any-data.js';

/** The two data encodings the gateway speaks. */
export const PayloadFormat = { Json: 'json', Msgpack: 'msgpack' } as const;
export type PayloadFormat = (typeof PayloadFormat)[keyof typeof PayloadFormat];

export const JSON_MEDIA_TYPE = 'application/json';
export const MSGPACK_MEDIA_TYPE = 'application/msgpack';

/** A CloudEvent attribute value as proto-loader decodes it (`oneofs: true`: `attr` names the member set). */
export interface CloudEventAttributeValue {
  readonly attr?: string;
  readonly ce_boolean?: boolean;
  readonly ce_integer?: number;
  readonly ce_string?: string;
  readonly ce_bytes?: Uint8Array;
  readonly ce_uri?: string;
  readonly ce_uri_ref?: string;
  readonly ce_timestamp?: { readonly seconds?: string | number; readonly nanos?: number };
}

/** `io.cloudevents.v1.CloudEvent` as proto-loader decodes it (`keepCase`, `oneofs`): `data` names the member set. */
export interface CloudEventMessage {
  readonly id?: string;
  readonly source?: string;
  readonly spec_version?: string;
  readonly type?: string;
  readonly attributes?: Readonly<Record<string, CloudEventAttributeValue>>;
  readonly data?: 'binary_data' | 'text_data' | 'proto_data';
  readonly binary_data?: Uint8Array;
  readonly text_data?: string;
  readonly proto_data?: { readonly type_url?: string; readonly value?: Uint8Array };
}

/** A request event read: the value it carries and the format the answer goes back in. */
export interface CloudEventInput {
  readonly value: unknown;
  readonly reply: PayloadFormat;
}

// Plain MessagePack for other languages: maps (no record extension), `undefined` as nil.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/**
 * The format of media type `mediaType` (parameters such as `; charset=utf-8` ignored, `+json` suffixes are
 * JSON), or `undefined` for one the gateway does not speak.
 */
export function formatOfMediaType(mediaType: string): PayloadFormat | undefined {
  const type = mediaType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type === JSON_MEDIA_TYPE || type === 'text/json' || type.endsWith('+json')) return PayloadFormat.Json;
  if (type === MSGPACK_MEDIA_TYPE || type === 'application/x-msgpack' || type === 'application/vnd.msgpack') {
    return PayloadFormat.Msgpack;
  }
  return undefined;
}

/** The media type the gateway names `format` with (a response's `datacontenttype`). */
export function mediaTypeOf(format: PayloadFormat): string {
  return format === PayloadFormat.Msgpack ? MSGPACK_MEDIA_TYPE : JSON_MEDIA_TYPE;
}

/** A string attribute of `event` (`ce_string`, `ce_uri` or `ce_uri_ref`), or `undefined`. */
export function stringAttribute(event: CloudEventMessage, name: string): string | undefined {
  const value = event.attributes?.[name];
  if (value === undefined) return undefined;
  return value.ce_string ?? value.ce_uri ?? value.ce_uri_ref;
}

/**
 * Reads `event` of a request (`field` names it in errors): its data decoded per `datacontenttype`, and the reply
 * format per its `accept` extension. Throws `InvalidCloudEventError` when the event is missing, a content type is
 * not JSON or msgpack, the data does not decode, or `proto_data` holds a type with no value reading.
 */
export function readCloudEvent(event: CloudEventMessage | null | undefined, field: string): CloudEventInput {
  if (event === null || event === undefined) throw invalid(field, 'is required');
  const contentType = stringAttribute(event, 'datacontenttype');
  const format = contentType === undefined ? PayloadFormat.Json : formatOfMediaType(contentType);
  if (format === undefined) {
    throw invalid(`${field}.datacontenttype`, `'${contentType}' is not ${JSON_MEDIA_TYPE} or ${MSGPACK_MEDIA_TYPE}`);
  }
  const accept = stringAttribute(event, 'accept');
  const reply = accept === undefined || accept === '' ? format : formatOfMediaType(accept);
  if (reply === undefined) {
    throw invalid(`${field}.accept`, `'${accept}' is not ${JSON_MEDIA_TYPE} or ${MSGPACK_MEDIA_TYPE}`);
  }
  return { value: decodeData(event, format, field), reply };
}

function decodeData(event: CloudEventMessage, format: PayloadFormat, field: string): unknown {
  switch (dataMember(event)) {
    case 'binary_data':
      return decodeBytes(event.binary_data ?? new Uint8Array(0), format, `${field}.binary_data`);
    case 'text_data': {
      if (format === PayloadFormat.Msgpack) {
        throw invalid(`${field}.text_data`, `${MSGPACK_MEDIA_TYPE} is binary: send it as binary_data`);
      }
      return parseJson(event.text_data ?? '', `${field}.text_data`);
    }
    case 'proto_data': {
      const inner = `${field}.proto_data`;
      const data = readProtoAny(event.proto_data ?? {}, inner);
      if (data.type === 'value') return data.value;
      if (data.type === 'bytes') return decodeBytes(data.bytes, format, inner);
      if (format === PayloadFormat.Msgpack) throw invalid(inner, `${MSGPACK_MEDIA_TYPE} is binary: send a BytesValue`);
      return parseJson(data.text, inner);
    }
    default:
      return undefined;
  }
}

/** Which member of the `data` oneof is set (proto-loader names it in `data` with `oneofs: true`). */
function dataMember(event: CloudEventMessage): CloudEventMessage['data'] {
  if (event.data !== undefined) return event.data;
  if (event.binary_data !== undefined) return 'binary_data';
  if (event.text_data !== undefined) return 'text_data';
  if (event.proto_data !== undefined) return 'proto_data';
  return undefined;
}

function decodeBytes(bytes: Uint8Array, format: PayloadFormat, field: string): unknown {
  if (bytes.byteLength === 0) return undefined;
  if (format === PayloadFormat.Json) return parseJson(Buffer.from(bytes).toString('utf8'), field);
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw invalid(field, `is not MessagePack: ${(error as Error).message}`, error);
  }
}

function parseJson(text: string, field: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(field, `is not JSON: ${(error as Error).message}`, error);
  }
}

/**
 * `value` encoded as `format` (a fresh buffer the caller may keep). `undefined` encodes as JSON `null` / nil.
 * Throws `EncodeError` for a value the format cannot hold (a `BigInt` or a cycle in JSON).
 */
export function encodePayload(value: unknown, format: PayloadFormat): Buffer {
  try {
    if (format === PayloadFormat.Msgpack) return Buffer.from(packr.pack(value));
    return Buffer.from(JSON.stringify(value === undefined ? null : value), 'utf8');
  } catch (error) {
    const reason = `the result cannot be encoded as ${mediaTypeOf(format)}: ${(error as Error).message}`;
    throw new EncodeError({ reason }, { cause: error });
  }
}

function invalid(field: string, reason: string, cause?: unknown): InvalidCloudEventError {
  return new InvalidCloudEventError({ field, reason }, cause === undefined ? undefined : { cause });
}
