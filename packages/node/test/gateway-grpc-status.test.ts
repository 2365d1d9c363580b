import { status } from '@grpc/grpc-js';
import {
  ActorStoppedError,
  CancelledError,
  ConfigError,
  ConflictError,
  DecodeError,
  EncodeError,
  FunctionDisabledError,
  HandlerError,
  HopLimitError,
  InvalidInputError,
  InvalidMessageError,
  InvalidRequestError,
  knownErrorCodes,
  MailboxFullError,
  NoCapacityError,
  NodeUnavailableError,
  OverloadedError,
  RecoveryFailedError,
  RemoteError,
  RoutingError,
  ShuttingDownError,
  TimeoutError,
  UnknownActorTypeError,
  UnknownFunctionError,
  WorkerCrashedError,
} from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { grpcFailureOf, INTERNAL_CODE } from '../src/gateway/grpc-status.js';

describe('grpcFailureOf', () => {
  it('answers the function or actor’s own failure in the response `error`, keeping its code', () => {
    const thrown = new HandlerError({ target: 'price', remoteName: 'TypeError', remoteMessage: 'no symbol' });
    expect(grpcFailureOf(thrown)).toEqual({ type: 'result', code: 'LUCENT_HANDLER', message: thrown.message });
    const crashed = new WorkerCrashedError({ name: 'price', reason: 'out of memory' });
    expect(grpcFailureOf(crashed)).toMatchObject({ type: 'result', code: 'LUCENT_WORKER_CRASHED' });
  });

  it.each([
    [new TimeoutError({ target: 'price', timeoutMs: 5 }), status.DEADLINE_EXCEEDED],
    [new UnknownFunctionError({ name: 'nope' }), status.NOT_FOUND],
    [new UnknownActorTypeError({ type: 'nope' }), status.NOT_FOUND],
    [new NoCapacityError({ target: 'price', reason: 'all overloaded' }), status.RESOURCE_EXHAUSTED],
    [new MailboxFullError({ actor: 'c/1', capacity: 10 }), status.RESOURCE_EXHAUSTED],
    [new OverloadedError({ target: 'price', reason: 'queue full', retryAfterMs: 50 }), status.RESOURCE_EXHAUSTED],
    [
      new InvalidInputError({ name: 'price', issues: [{ path: 'qty', message: 'not a number' }] }),
      status.INVALID_ARGUMENT,
    ],
    [new InvalidMessageError({ actor: 'c/1', reason: 'no type' }), status.INVALID_ARGUMENT],
    [new InvalidRequestError({ field: 'name', reason: 'is required' }), status.INVALID_ARGUMENT],
    [new DecodeError({ reason: 'truncated', byteLength: 3 }), status.INVALID_ARGUMENT],
    [new EncodeError({ reason: 'a function cannot be encoded' }), status.INVALID_ARGUMENT],
    [new RoutingError({ target: 'price', field: 'symbol', reason: 'missing' }), status.INVALID_ARGUMENT],
    [new ConfigError({ subject: 'events', field: 'type', reason: 'bad token' }), status.INVALID_ARGUMENT],
    [new NodeUnavailableError({ node: 'n1', reason: 'gone' }), status.UNAVAILABLE],
    [new ShuttingDownError({ node: 'n1' }), status.UNAVAILABLE],
    [new ActorStoppedError({ actor: 'c/1' }), status.UNAVAILABLE],
    [new HopLimitError({ target: 'c/1', hops: 3 }), status.UNAVAILABLE],
    [new RecoveryFailedError({ actor: 'c/1', attempts: 3, reason: 'store down' }), status.UNAVAILABLE],
    [new FunctionDisabledError({ name: 'price' }), status.FAILED_PRECONDITION],
    [new ConflictError({ key: 'k', expectedRevision: 1, actualRevision: 2 }), status.ABORTED],
    [new CancelledError({ target: 'price' }), status.CANCELLED],
  ])('maps %s to its gRPC status with its code and message', (error, expected) => {
    expect(grpcFailureOf(error)).toEqual({
      type: 'status',
      code: error.code,
      status: expected,
      details: error.message,
    });
  });

  it('answers an encoding over the size limit RESOURCE_EXHAUSTED', () => {
    const tooBig = new EncodeError({ reason: 'too large', byteLength: 2_000_000, limitBytes: 1_048_576 });
    expect(grpcFailureOf(tooBig)).toMatchObject({ status: status.RESOURCE_EXHAUSTED, code: 'LUCENT_ENCODE' });
  });

  it('answers a code it does not know (a newer peer) and a non-Lucent error INTERNAL', () => {
    const remote = new RemoteError({ code: 'LUCENT_FROM_THE_FUTURE', name: 'X', message: 'later', details: {} });
    expect(grpcFailureOf(remote)).toEqual({
      type: 'status',
      code: 'LUCENT_FROM_THE_FUTURE',
      status: status.INTERNAL,
      details: 'later',
    });
    expect(grpcFailureOf(new TypeError('bug'))).toEqual({
      type: 'status',
      code: INTERNAL_CODE,
      status: status.INTERNAL,
      details: 'bug',
    });
    expect(grpcFailureOf('thrown text')).toMatchObject({ status: status.INTERNAL, details: 'thrown text' });
  });
});

describe('grpcFailureOf over every Lucent code', () => {
  it('gives every known code a status of its own (none falls through to INTERNAL)', () => {
    const unmapped = knownErrorCodes().filter((code) => {
      // Shaped like a decoded error (the mapping reads only the code): every class needs its own details.
      const failure = grpcFailureOf({ code, message: code, details: {} });
      return failure.type === 'status' && failure.status === status.INTERNAL;
    });
    expect(unmapped).toEqual([]);
  });
});
