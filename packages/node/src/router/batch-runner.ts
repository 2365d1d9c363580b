/**
 * Serves a batch request (`EnvelopeKind.Batch`, sent by `client.gather` and `client.scatter`): the inputs go to
 * the function runner as one bulk run (a single pending call whose worker loops over them), and the answer is one
 * {@link BatchOutcome} with each input's value or typed error, in input order.
 */
import {
  type BatchOutcome,
  checkInput,
  type Envelope,
  type InputSchema,
  RoutingError,
  toLucentError,
  type WireError,
} from '@lucent/core/internal';
import type { FunctionRunner, RunOptions } from './function-runner.js';

/**
 * Runs each input of `batch` (its payload must be an array; else `RoutingError`) and resolves with the outcome.
 * One failing input fails only its slot. Without an input schema the whole batch is one bulk run (one pending call
 * in the pool, the loop in the worker); with one, each input is checked and run as its own call. Rejects only when
 * the bulk run fails as a whole (deadline, worker crash): then every input failed.
 */
export async function runBatch(
  runner: FunctionRunner,
  batch: Envelope,
  options: RunOptions,
  schema?: InputSchema,
): Promise<BatchOutcome> {
  const inputs = batch.payload;
  if (!Array.isArray(inputs)) {
    throw new RoutingError({ target: batch.target, field: 'payload', reason: 'a batch payload is an array of inputs' });
  }
  if (schema === undefined) return runner.call<BatchOutcome>(batch.target, inputs, { ...options, bulk: true });
  const values = new Array<unknown>(inputs.length);
  let errors: (WireError | null)[] | null = null;
  const runs = new Array<Promise<void>>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    // `checkInput` returns the schema's output, or a promise of it for async schemas; it throws InvalidInputError.
    runs[i] = Promise.resolve(inputs[i])
      .then((raw: unknown) => checkInput(batch.target, schema, raw))
      .then((input: unknown) => runner.call(batch.target, input, options))
      .then(
        (value) => {
          values[i] = value;
        },
        (error: unknown) => {
          errors ??= new Array<WireError | null>(inputs.length).fill(null);
          errors[i] = toLucentError(error, batch.target).toWire();
        },
      );
  }
  await Promise.all(runs);
  return { values, errors };
}
