/**
 * The declared shape of an error class's `details`, checked when an error is revived from the wire: a peer (an
 * older or newer build, or a buggy one) may send a known code whose details lack a field, and the revived error
 * must still be what its type says.
 *
 * A spec names each field's kind: `'string'`, `'number'`, `'boolean'`, `'string[]'` or `'array'` (any array),
 * with `'|null'` appended when the field may be `null` and `'?'` last when it may be absent. {@link DetailFields}
 * derives the allowed specs from the details type, so a spec cannot drift from the type it checks.
 */

type KindOf<T> = [T] extends [string]
  ? 'string'
  : [T] extends [number]
    ? 'number'
    : [T] extends [boolean]
      ? 'boolean'
      : [T] extends [readonly string[]]
        ? 'string[]'
        : [T] extends [readonly unknown[]]
          ? 'array'
          : never;

type NullableKindOf<T> = null extends T ? `${KindOf<Exclude<T, null>>}|null` : KindOf<T>;

/** The spec of every field of `D` (optional fields end in `?`); `never` for a field of a kind it cannot check. */
export type DetailFields<D> = {
  readonly [K in keyof D]-?: object extends Pick<D, K>
    ? `${NullableKindOf<Exclude<D[K], undefined>>}?`
    : NullableKindOf<D[K]>;
};

/** Specs by field name, as {@link fieldsProblem} reads them at run time. */
export type DetailSpecs = Readonly<Record<string, string>>;

function hasKind(kind: string, value: unknown): boolean {
  switch (kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === kind;
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'array':
      return Array.isArray(value);
    default:
      return false;
  }
}

/**
 * What is wrong with `record` against `specs` (the first problem found, naming the field), or `undefined` when
 * every field is of its declared kind. Fields the specs do not name are allowed (a newer peer may add some).
 * Pure; never throws.
 */
export function fieldsProblem(record: Readonly<Record<string, unknown>>, specs: DetailSpecs): string | undefined {
  for (const [field, spec] of Object.entries(specs)) {
    const optional = spec.endsWith('?');
    const nullableKind = optional ? spec.slice(0, -1) : spec;
    const nullable = nullableKind.endsWith('|null');
    const kind = nullable ? nullableKind.slice(0, -'|null'.length) : nullableKind;
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (value === undefined) {
      if (optional) continue;
      return `${field} is missing`;
    }
    if (value === null && nullable) continue;
    if (!hasKind(kind, value)) return `${field} is not a ${kind}`;
  }
  return undefined;
}
