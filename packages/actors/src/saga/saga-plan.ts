/**
 * What the saga driver does next, decided from the stored state alone (pure). Called after every stored event,
 * and by the node that takes a saga over after a crash, so both follow one rule:
 *
 * ```
 *  final status                                  ─► finished
 *  running, step i began and never ended (crash):
 *      step i idempotent                         ─► run i again (same idempotency key; deadline kept)
 *      otherwise                                 ─► in doubt: fail step i without running it again
 *  running                                       ─► run step i
 *  compensating, step i has no compensation      ─► skip i (record it compensated)
 *  compensating                                  ─► compensate i (compensations are idempotent by contract)
 *  idle                                          ─► wait (not started)
 * ```
 */
import type { SagaDefinition } from './define-saga.js';
import { isFinalSagaStatus, type SagaState } from './saga-state.js';

/** The driver's next move; a closed set on `type`. */
export type SagaAction =
  | { readonly type: 'finished' }
  | { readonly type: 'wait' }
  | { readonly type: 'run'; readonly index: number; readonly resumed: boolean }
  | { readonly type: 'in-doubt'; readonly index: number }
  | { readonly type: 'compensate'; readonly index: number }
  | { readonly type: 'skip-compensation'; readonly index: number };

/** See the module doc. Never throws. */
export function nextSagaAction(definition: SagaDefinition, state: SagaState): SagaAction {
  if (isFinalSagaStatus(state.status)) return { type: 'finished' };
  const { index, inFlight } = state;
  if (state.status === 'running') {
    const resumed = inFlight !== null && inFlight.phase === 'run' && inFlight.index === index;
    if (resumed && definition.steps[index]?.idempotent !== true) return { type: 'in-doubt', index };
    return { type: 'run', index, resumed };
  }
  if (state.status === 'compensating') {
    if (definition.steps[index]?.compensate === undefined) return { type: 'skip-compensation', index };
    return { type: 'compensate', index };
  }
  return { type: 'wait' };
}
