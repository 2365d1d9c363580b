/**
 * A CloudEvent's `proto_data` (a protobuf `Any`) read as a Lucent value. Lucent values are JSON-like, so the
 * `Any`s that hold one are accepted; other message types have no reading and are refused.
 *
 * ```
 *  google.protobuf.Struct / Value / ListValue   ─► the JSON value they spell (datacontenttype not needed)
 *  google.protobuf.StringValue                  ─► text, read as the datacontenttype says (like text_data)
 *  google.protobuf.BytesValue                   ─► bytes, read as the datacontenttype says (like binary_data)
 *  google.protobuf.Double/Float/Int32/UInt32/BoolValue ─► the number or boolean
 *  anything else                                ─► InvalidCloudEventError naming the type
 * ```
 * The well-known types come from protobufjs's bundled descriptors, decoded once per request (no reflection).
 */
import { InvalidCloudEventError } from '@lucent/core/internal';
import protobuf from 'protobufjs';

/** What an `Any` holds, for `cloud-event-payload.ts` to finish reading. */
export type AnyData =
  | { readonly type: 'value'; readonly value: unknown }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'bytes'; readonly bytes: Uint8Array };

/** `google.protobuf.Any` as proto-loader decodes it. */
export interface ProtoAny {
  readonly type_url?: string;
  readonly value?: Uint8Array;
}

const root = new protobuf.Root();
for (const file of ['google/protobuf/struct.proto', 'google/protobuf/wrappers.proto']) {
  const descriptor = protobuf.common.get(file);
  if (descriptor?.nested !== undefined) root.addJSON(descriptor.nested);
}
root.resolveAll();

const SCALAR_WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int32Value', 'UInt32Value', 'BoolValue']);
const JSON_TYPES = new Set(['Struct', 'Value', 'ListValue']);
const SUPPORTED = 'google.protobuf.Struct, Value, ListValue, StringValue, BytesValue or a number/bool wrapper';

/** The data in `any` (`field` names it in errors). Throws `InvalidCloudEventError` for another type or bad bytes. */
export function readProtoAny(any: ProtoAny, field: string): AnyData {
  const typeUrl = any.type_url ?? '';
  const fullName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const name = fullName.startsWith('google.protobuf.') ? fullName.slice('google.protobuf.'.length) : '';
  const known = JSON_TYPES.has(name) || SCALAR_WRAPPERS.has(name) || name === 'StringValue' || name === 'BytesValue';
  if (!known) {
    throw new InvalidCloudEventError({ field, reason: `'${typeUrl}' is not readable as data: send ${SUPPORTED}` });
  }
  const type = root.lookupType(`google.protobuf.${name}`);
  let decoded: Record<string, unknown>;
  try {
    decoded = type.toObject(type.decode(any.value ?? new Uint8Array(0)), { oneofs: true, defaults: true });
  } catch (error) {
    const reason = `is not a ${fullName}: ${(error as Error).message}`;
    throw new InvalidCloudEventError({ field, reason }, { cause: error });
  }
  switch (name) {
    case 'Struct':
      return { type: 'value', value: jsonOfStruct(decoded) };
    case 'Value':
      return { type: 'value', value: jsonOfValue(decoded) };
    case 'ListValue':
      return { type: 'value', value: jsonOfList(decoded) };
    case 'StringValue':
      return { type: 'text', text: decoded.value as string };
    case 'BytesValue':
      return { type: 'bytes', bytes: decoded.value as Uint8Array };
    default:
      return { type: 'value', value: decoded.value };
  }
}

type Decoded = Record<string, unknown>;

/** A decoded `google.protobuf.Value` as JSON; `kind` names the member set (`oneofs: true`). */
function jsonOfValue(value: Decoded): unknown {
  switch (value.kind) {
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return value[value.kind];
    case 'structValue':
      return jsonOfStruct(value.structValue as Decoded);
    case 'listValue':
      return jsonOfList(value.listValue as Decoded);
    default:
      return null;
  }
}

function jsonOfStruct(struct: Decoded): Record<string, unknown> {
  const fields = (struct.fields ?? {}) as Record<string, Decoded>;
  // fromEntries defines own properties: a field named `__proto__` stays a field.
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, jsonOfValue(value)]));
}

function jsonOfList(list: Decoded): unknown[] {
  return ((list.values ?? []) as Decoded[]).map(jsonOfValue);
}
