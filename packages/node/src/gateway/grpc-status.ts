/**
 * How a Lucent error is answered on the gRPC gateway: a pure decision from the error's `code`.
 *
 * ```
 *  the function or actor itself failed (LUCENT_HANDLER, LUCENT_WORKER_CRASHED)
 *        ─► status OK, response `error` = message                (the seed's contract)
 *  anything else ─► a gRPC status by code:
 *        LUCENT_TIMEOUT                                 DEADLINE_EXCEEDED
 *        LUCENT_UNKNOWN_FUNCTION / _UNKNOWN_ACTOR_TYPE  NOT_FOUND
 *        LUCENT_NO_CAPACITY / _OVERLOADED / _MAILBOX_FULL / _REQUEST_TOO_LARGE, over-size  RESOURCE_EXHAUSTED
 *        LUCENT_INVALID_* / _DECODE / _ENCODE / _ROUTING / _CONFIG   INVALID_ARGUMENT
 *        LUCENT_NODE_UNAVAILABLE / _SHUTTING_DOWN / _ACTOR_STOPPED / _HOP_LIMIT / _RECOVERY_FAILED  UNAVAILABLE
 *        LUCENT_FUNCTION_DISABLED  FAILED_PRECONDITION · LUCENT_CONFLICT  ABORTED · LUCENT_CANCELLED  CANCELLED
 *        an unknown code or a non-Lucent error          INTERNAL
 * ```
 * Either way the Lucent code travels in the `lucent-code` trailer, so a client in any language can branch on it.
 */
import { status } from '@grpc/grpc-js';
import { LucentError } from '@lucent/core/internal';

/** The trailing metadata key that carries the Lucent error code. */
export const LUCENT_CODE_TRAILER = 'lucent-code';

/** Code of a failure that is not a Lucent error (a bug in the gateway): answered INTERNAL. */
export const INTERNAL_CODE = 'LUCENT_INTERNAL';

/** Lucent codes by the gRPC status they map to (codes answered as `error` results are not here). */
const STATUS_BY_CODE: ReadonlyMap<string, status> = new Map([
  ['LUCENT_TIMEOUT', status.DEADLINE_EXCEEDED],
  ['LUCENT_UNKNOWN_FUNCTION', status.NOT_FOUND],
  ['LUCENT_UNKNOWN_ACTOR_TYPE', status.NOT_FOUND],
  ['LUCENT_NO_CAPACITY', status.RESOURCE_EXHAUSTED],
  ['LUCENT_MAILBOX_FULL', status.RESOURCE_EXHAUSTED],
  ['LUCENT_OVERLOADED', status.RESOURCE_EXHAUSTED],
  ['LUCENT_REQUEST_TOO_LARGE', status.RESOURCE_EXHAUSTED],
  ['LUCENT_INVALID_INPUT', status.INVALID_ARGUMENT],
  ['LUCENT_INVALID_MESSAGE', status.INVALID_ARGUMENT],
  ['LUCENT_INVALID_REQUEST', status.INVALID_ARGUMENT],
  ['LUCENT_INVALID_CLOUD_EVENT', status.INVALID_ARGUMENT],
  ['LUCENT_DECODE', status.INVALID_ARGUMENT],
  ['LUCENT_ENCODE', status.INVALID_ARGUMENT],
  ['LUCENT_ROUTING', status.INVALID_ARGUMENT],
  ['LUCENT_CONFIG', status.INVALID_ARGUMENT],
  ['LUCENT_NODE_UNAVAILABLE', status.UNAVAILABLE],
  ['LUCENT_SHUTTING_DOWN', status.UNAVAILABLE],
  ['LUCENT_ACTOR_STOPPED', status.UNAVAILABLE],
  ['LUCENT_HOP_LIMIT', status.UNAVAILABLE],
  ['LUCENT_RECOVERY_FAILED', status.UNAVAILABLE],
  ['LUCENT_FUNCTION_DISABLED', status.FAILED_PRECONDITION],
  ['LUCENT_CONFLICT', status.ABORTED],
  // Some shards of a scatter/gather failed: the whole request is aborted, the errors say which.
  ['LUCENT_PARTIAL_FAILURE', status.ABORTED],
  ['LUCENT_SAGA_STEP_IN_DOUBT', status.ABORTED],
  ['LUCENT_INVALID_REMINDER', status.INVALID_ARGUMENT],
  ['LUCENT_UNKNOWN_EFFECT', status.FAILED_PRECONDITION],
  ['LUCENT_MODULE_CHECKSUM', status.FAILED_PRECONDITION],
  ['LUCENT_SNAPSHOT_INCOMPATIBLE', status.FAILED_PRECONDITION],
  ['LUCENT_CANCELLED', status.CANCELLED],
  // A peer's error that could not be revived: gRPC's UNKNOWN is for errors from another address space.
  ['LUCENT_MALFORMED_REMOTE_ERROR', status.UNKNOWN],
]);

/** Codes of the function's (or actor's) own failure: answered in the response's `error` field. */
const RESULT_ERROR_CODES: ReadonlySet<string> = new Set([
  'LUCENT_HANDLER',
  'LUCENT_WORKER_CRASHED',
  'LUCENT_RETRYABLE',
]);

/** What to answer for a failed request. */
export type GrpcFailure =
  /** Status OK with the response's `error` field set. */
  | { readonly type: 'result'; readonly code: string; readonly message: string }
  /** A gRPC status with `details` as its message. */
  | { readonly type: 'status'; readonly code: string; readonly status: status; readonly details: string };

/** The answer to `error` (see the module doc). Never throws. */
export function grpcFailureOf(error: unknown): GrpcFailure {
  if (!LucentError.isLucentError(error)) {
    const details = error instanceof Error ? error.message : String(error);
    return { type: 'status', code: INTERNAL_CODE, status: status.INTERNAL, details };
  }
  const { code, message } = error;
  if (RESULT_ERROR_CODES.has(code)) return { type: 'result', code, message };
  return { type: 'status', code, status: statusOf(error), details: message };
}

function statusOf(error: LucentError): status {
  // An encoding over the message size limit is a size problem, not a malformed value.
  if (error.code === 'LUCENT_ENCODE' && typeof error.details.limitBytes === 'number') return status.RESOURCE_EXHAUSTED;
  return STATUS_BY_CODE.get(error.code) ?? status.INTERNAL;
}
