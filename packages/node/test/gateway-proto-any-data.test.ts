import { InvalidCloudEventError } from '@lucent/core/internal';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { type CloudEventMessage, PayloadFormat, readCloudEvent } from '../src/gateway/cloud-event-payload.js';
import { readProtoAny } from '../src/gateway/proto-any-data.js';

// The client's side: well-known types encoded with protobufjs, as any language's generated code would.
const root = new protobuf.Root();
for (const file of ['google/protobuf/struct.proto', 'google/protobuf/wrappers.proto']) {
  root.addJSON(protobuf.common.get(file)?.nested ?? {});
}
root.resolveAll();

function any(name: string, value: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  const type = root.lookupType(`google.protobuf.${name}`);
  return {
    type_url: `type.googleapis.com/google.protobuf.${name}`,
    value: type.encode(type.fromObject(value)).finish(),
  };
}

describe('readProtoAny', () => {
  it('reads a Struct as the JSON object it spells, nested lists, nulls and all', () => {
    const struct = any('Struct', {
      fields: {
        symbol: { stringValue: 'ACME' },
        qty: { numberValue: 3 },
        live: { boolValue: true },
        tags: { listValue: { values: [{ stringValue: 'a' }, { nullValue: 0 }] } },
        inner: { structValue: { fields: { depth: { numberValue: 2 } } } },
        // A computed key is an own field named __proto__ (a plain `__proto__:` would set the prototype).
        ['__proto__']: { stringValue: 'a field, not a prototype' },
      },
    });
    const read = readProtoAny(struct, 'event.proto_data');
    expect(read.type).toBe('value');
    const value = (read as { value: Record<string, unknown> }).value;
    expect(value).toMatchObject({ symbol: 'ACME', qty: 3, live: true, tags: ['a', null], inner: { depth: 2 } });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('a field, not a prototype');
  });

  it('reads Value, ListValue and the scalar wrappers as their value', () => {
    expect(readProtoAny(any('Value', { numberValue: 4.5 }), 'f')).toEqual({ type: 'value', value: 4.5 });
    expect(readProtoAny(any('ListValue', { values: [{ boolValue: false }] }), 'f')).toEqual({
      type: 'value',
      value: [false],
    });
    expect(readProtoAny(any('Int32Value', { value: -7 }), 'f')).toEqual({ type: 'value', value: -7 });
    expect(readProtoAny(any('BoolValue', { value: true }), 'f')).toEqual({ type: 'value', value: true });
  });

  it('hands StringValue and BytesValue on to be read per the content type', () => {
    expect(readProtoAny(any('StringValue', { value: '[1]' }), 'f')).toEqual({ type: 'text', text: '[1]' });
    const bytes = readProtoAny(any('BytesValue', { value: Buffer.from('{}') }), 'f');
    expect(bytes.type).toBe('bytes');
  });

  it('refuses other message types and bytes that do not decode, naming the field', () => {
    for (const bad of [
      { type_url: 'type.googleapis.com/acme.Order', value: Uint8Array.of(1) },
      { type_url: 'type.googleapis.com/google.protobuf.Timestamp', value: Uint8Array.of() },
      { type_url: 'type.googleapis.com/google.protobuf.Struct', value: Uint8Array.of(0x0a, 0x05, 0x01) },
    ]) {
      let thrown: unknown;
      try {
        readProtoAny(bad, 'event.proto_data');
      } catch (error) {
        thrown = error;
      }
      expect(InvalidCloudEventError.is(thrown)).toBe(true);
      expect((thrown as InvalidCloudEventError).details.field).toBe('event.proto_data');
    }
  });
});

describe('readCloudEvent with proto_data', () => {
  it('takes a Struct as the input whatever the content type, and BytesValue per the content type', () => {
    const struct: CloudEventMessage = {
      data: 'proto_data',
      proto_data: any('Struct', { fields: { n: { numberValue: 1 } } }),
    };
    expect(readCloudEvent(struct, 'event')).toEqual({ value: { n: 1 }, reply: PayloadFormat.Json });
    const bytes: CloudEventMessage = {
      data: 'proto_data',
      proto_data: any('BytesValue', { value: Buffer.from('{"n":2}') }),
    };
    expect(readCloudEvent(bytes, 'event').value).toEqual({ n: 2 });
    const text: CloudEventMessage = { data: 'proto_data', proto_data: any('StringValue', { value: '"hi"' }) };
    expect(readCloudEvent(text, 'event').value).toBe('hi');
  });
});
