/**
 * Serves a batch request (`EnvelopeKind.Batch`, sent by `client.gather`): every input of the batch goes to the
 * function runner in one synchronous pass, so the pool cuts them into as few worker tasks as its limits allow,
 * and the answer is one {@link BatchOutcome} with each input's value or typed error, in input order.
 */
import { type BatchOutcome, type Envelope, RoutingError, toLucentError, type WireError } from '@lucent/core/internal';
import type { FunctionRunner, RunOptions } from './function-runner.js';

/**
 * Runs each input of `batch` (its payload must be an array; else `RoutingError`) and resolves with the outcome.
 * One failing input fails only its slot. Never rejects for a run's failure.
 */
export async function runBatch(runner: FunctionRunner, batch: Envelope, options: RunOptions): Promise<BatchOutcome> {
  const inputs = batch.payload;
  if (!Array.isArray(inputs)) {
    throw new RoutingError({ target: batch.target, field: 'payload', reason: 'a batch payload is an array of inputs' });
  }
  const values = new Array<unknown>(inputs.length);
  let errors: (WireError | null)[] | null = null;
  const runs = new Array<Promise<void>>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    runs[i] = runner.call(batch.target, inputs[i], options).then(
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
