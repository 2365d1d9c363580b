/**
 * Input validation of functions through Standard Schema (https://standardschema.dev): a definition's `input` is
 * any schema that implements `StandardSchemaV1` (zod, valibot, arktype, ...), so Lucent depends on the spec's
 * types only, not on a validation library.
 *
 * ```
 *  client.call(def, input) ── checkInput ──► issues? ── InvalidInputError (nothing sent)
 *                                          └─ ok ──► send the input as written
 *  node (router)           ── checkInput ──► issues? ── InvalidInputError to the caller
 *                                          └─ ok ──► handler(ctx, schema output)
 * ```
 * The client sends the input as the caller wrote it (not the schema's output), so a transforming schema runs on
 * the same value at both ends. Cost: nothing for a function without a schema; the schema's own cost otherwise,
 * plus one promise when the schema validates asynchronously.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigError, type InputIssue, InvalidInputError } from './errors.js';

/** A Standard Schema that validates a function's input; its output type becomes the handler's input type. */
export type InputSchema<I = unknown, O = I> = StandardSchemaV1<I, O>;

/** The type a schema's successful validation yields. */
export type SchemaOutput<S extends InputSchema> = StandardSchemaV1.InferOutput<S>;

/** True when `value` implements Standard Schema v1 (a `~standard` object with version 1 and `validate`). */
export function isInputSchema(value: unknown): value is InputSchema {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return (
    typeof props === 'object' &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === 'function'
  );
}

/** `schema` when it is a Standard Schema (or `undefined`); throws `ConfigError` (`field: 'input'`) otherwise. */
export function resolveInputSchema(schema: unknown, subject: string): InputSchema | undefined {
  if (schema === undefined) return undefined;
  if (!isInputSchema(schema)) {
    throw new ConfigError({
      subject,
      field: 'input',
      reason: 'expected a Standard Schema (a zod, valibot or arktype schema, or any `~standard` v1 object)',
    });
  }
  return schema;
}

/**
 * Validates `input` for function `name` against `schema`. Returns the schema's output, synchronously when the
 * schema validates synchronously, else as a promise. Throws (or rejects with) `InvalidInputError` listing every
 * issue; a schema that throws is reported as one issue rather than as a crash of the caller.
 */
export function checkInput(name: string, schema: InputSchema, input: unknown): unknown {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(input);
  } catch (error) {
    throw invalidInput(name, [{ message: `the schema threw: ${describe(error)}` }]);
  }
  if (result instanceof Promise) return result.then((settled) => outputOf(name, settled));
  return outputOf(name, result);
}

function outputOf(name: string, result: StandardSchemaV1.Result<unknown>): unknown {
  if (!result.issues) return (result as StandardSchemaV1.SuccessResult<unknown>).value;
  throw invalidInput(name, result.issues);
}

function invalidInput(name: string, issues: readonly StandardSchemaV1.Issue[]): InvalidInputError {
  const list: InputIssue[] = issues.map((issue) => ({ message: String(issue.message), path: pathOf(issue.path) }));
  return new InvalidInputError({ name, issues: list });
}

/** A dotted path (`items.0.qty`) from an issue's path segments; `''` for the input itself. */
function pathOf(path: StandardSchemaV1.Issue['path']): string {
  if (path === undefined || path.length === 0) return '';
  return path.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
