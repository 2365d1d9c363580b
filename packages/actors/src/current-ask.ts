/**
 * The ask of the message whose `receive` is running right now, so that the behavior can take it over
 * (`ActorContext.deferReply`). Receives run one at a time and synchronously, so one slot per process serves every
 * actor: no per-actor field. The cell fills it just before `receive` and clears it right after.
 */
import type { PendingAsk } from './pending-ask.js';

class CurrentAsk {
  ask: PendingAsk | undefined = undefined;
  /** The behavior took the ask during this receive: the cell must not answer it. */
  taken = false;

  /** Takes the ask: `undefined` for a tell, outside a synchronous receive, or when already taken. */
  take(): PendingAsk | undefined {
    const ask = this.ask;
    if (ask === undefined) return undefined;
    this.ask = undefined;
    this.taken = true;
    return ask;
  }

  clear(): void {
    this.ask = undefined;
    this.taken = false;
  }
}

/** @internal The one slot, shared by the cells and their contexts. */
export const currentAsk = new CurrentAsk();
