/**
 * Storing the dead letter of one delivery of a durable consumer (a function's or an actor subscription's): the
 * record (`dead-letter.ts`) on the consumer's dead-letter subject, deduplicated per consumer and stream sequence,
 * so every node that reaches the same verdict stores it once.
 */
import { type DeadLetterError, deadLetterMsgId, encodeDeadLetter } from './dead-letter.js';
import type { EventConsumerPlan } from './event-consumer-plan.js';
import type { EventLog } from './event-log.js';

/** One given-up delivery: which message, how often it was tried, why, and where and when it was given up. */
export interface GivenUpDelivery {
  readonly sequence: number;
  readonly original: Uint8Array;
  readonly eventId: string;
  readonly attempts: number;
  readonly error: DeadLetterError;
  readonly failedAt: number;
  readonly node: string;
}

/** Stores the dead letter; rejects when the log did not confirm it. */
export function storeConsumerDeadLetter(log: EventLog, plan: EventConsumerPlan, given: GivenUpDelivery): Promise<void> {
  const record = encodeDeadLetter({
    consumer: plan.name,
    functionName: plan.functionName,
    eventType: plan.eventType,
    eventId: given.eventId,
    attempts: given.attempts,
    error: { code: given.error.code, message: given.error.message },
    failedAt: given.failedAt,
    node: given.node,
    streamSequence: given.sequence,
    original: given.original,
  });
  return log.publishDeadLetter(plan.deadLetterSubject, record, deadLetterMsgId(plan.name, given.sequence));
}
