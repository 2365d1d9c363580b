/**
 * Where undelivered messages go. Listeners see each dead letter synchronously, in the order they happened;
 * with no listener a dead letter costs one counter increment (no object is built).
 */
import type { DeadLetter } from './types.js';

type Listener = (letter: DeadLetter) => void;

/** The dead-letter channel of one actor system. */
export class DeadLetters {
  private listeners: Listener[] = [];
  private published = 0;

  /** Dead letters published so far, listened to or not. */
  get count(): number {
    return this.published;
  }

  /**
   * Calls `listener` for every later dead letter; returns an idempotent unsubscribe function. A listener that
   * throws is skipped for that letter (the error is swallowed: a broken listener must not break a sender).
   */
  subscribe(listener: Listener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Records that `message` for `recipient` was not delivered, for `reason`. Never throws. */
  publish(recipient: string, message: unknown, reason: DeadLetter['reason']): void {
    this.published++;
    // Copy-on-write list: a listener that unsubscribes while being called does not disturb this loop.
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    const letter: DeadLetter = { recipient, message, reason };
    for (const listener of listeners) {
      try {
        listener(letter);
      } catch {
        // Deliberately ignored; see subscribe().
      }
    }
  }
}
