/** Turning whatever a handler threw into a Lucent error, for answers and hooks. */
import { HandlerError, LucentError } from '@lucent/core';

/**
 * `thrown` as a Lucent error: itself when it is one, else a `HandlerError` for `target` carrying the thrown
 * value's name and message (and the value as `cause`). Never throws.
 */
export function asLucentError(thrown: unknown, target: string): LucentError {
  if (thrown instanceof LucentError) return thrown;
  const remoteName = thrown instanceof Error ? thrown.name : typeof thrown;
  const remoteMessage = thrown instanceof Error ? thrown.message : String(thrown);
  return new HandlerError({ target, remoteName, remoteMessage }, { cause: thrown });
}
