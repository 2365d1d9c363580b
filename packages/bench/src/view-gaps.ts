/**
 * Riding out gaps in the bench client's cluster view. A `node/*` bench drives one node at full load from this
 * process on a shared machine; the node's heartbeats (or this process's handling of them, between bursts) can
 * then fall behind the dead window (3 heartbeats), and the client's view drops the node for a moment. Until its
 * next heartbeat, a tell or ask has nowhere to go and fails with `RoutingError` (field `view`: "the cluster has
 * no live members") before anything is sent. That is the client's view lagging, not the node failing, so:
 *
 * ```
 *  send ─ RoutingError(view) ─► wait for the members (bounded) ─► send again      held++ (printed in the notes)
 *       └ any other error ────► thrown: the bench fails
 *  the members do not come back within the bound (the node died) ─► TimeoutError: the bench fails
 * ```
 * Safe to send again: the refused send never left this process (nothing was sent, nothing applied twice).
 */
import type { Call } from './closed-loop.js';

/** What this needs of the bench's cluster client. */
export interface ViewSourceClient {
  waitForMembers(count: number, timeoutMs?: number): Promise<unknown>;
}

/** Default longest wait for the members to come back: a node that is gone longer than this is a real failure. */
export const VIEW_GAP_BOUND_MS = 15_000;

/** True for the error a tell or ask throws when the client's view has no member to send it to. */
export function isViewGap(error: unknown): boolean {
  const e = error as { code?: unknown; details?: { field?: unknown } } | null;
  return e?.code === 'LUCENT_ROUTING' && e.details?.field === 'view';
}

/** Counts the gaps and waits them out; one per scenario run. */
export class ViewGaps {
  /** Sends (and sends again) that met a view without the members; each went again once they came back. */
  held = 0;
  readonly #cluster: ViewSourceClient;
  readonly #members: number;
  readonly #boundMs: number;

  constructor(cluster: ViewSourceClient, members: number, boundMs = VIEW_GAP_BOUND_MS) {
    this.#cluster = cluster;
    this.#members = members;
    this.#boundMs = boundMs;
  }

  /**
   * After `error` from a send: rethrows it unless it is a view gap; otherwise waits (bounded) for the members and
   * sends again with `send`, as often as the gap recurs within the bound.
   */
  async resend<T>(error: unknown, send: () => T | Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + this.#boundMs;
    let last = error;
    for (;;) {
      if (!isViewGap(last)) throw last;
      this.held++;
      const remaining = giveUpAt - Date.now();
      if (remaining <= 0) throw last;
      await this.#cluster.waitForMembers(this.#members, remaining);
      try {
        return await send();
      } catch (next) {
        last = next;
      }
    }
  }

  /** `call`, sent again after a view gap (see {@link resend}); one handler per wrapped call, none per call. */
  wrap(call: Call): Call {
    const onError = (error: unknown): Promise<unknown> => this.resend(error, call);
    return () => call().then(undefined, onError);
  }

  /** The line for the scenario's notes. */
  note(): string {
    return this.held === 0
      ? "The client's view never lost the node."
      : `The client's view lost the node under load (missed heartbeats): ${this.held} sends waited for it to come back (at most ${this.#boundMs} ms) and went again.`;
  }
}
