/**
 * The port through which a process claims the exclusive right to run an activation, so that one actor runs in
 * one place across processes (design.md "Membership and placement": a lease per active actor). `@lucent/node`
 * implements it with JetStream KV leases; without a guard, a directory activates on demand and nothing else
 * keeps two processes from running the same `(type, id)`.
 *
 * ```
 *  activate(k) ─► previous activation of k saved ─► guard.acquire(k) ─► load snapshot ─► running
 *                                                         │ rejects
 *                                                         ▼
 *                                        activation stops; its held messages reject with that error
 *  stop/passivate/abort ─► final save ─► guard.release(k) ─► next activation of k (here or elsewhere) may begin
 * ```
 * Messages that arrive while `acquire` waits are held in order, like during a snapshot load.
 */
export interface ActivationGuard {
  /**
   * Resolves once this process may run `(type, id)`, e.g. after its previous owner elsewhere has saved its last
   * snapshot and let go. Rejects to refuse the activation (the reason becomes the error its messages get).
   */
  acquire(type: string, id: string): Promise<void>;
  /**
   * The activation that acquired `(type, id)` has stopped and will write no more state. Called once per
   * successful `acquire`, never without one. Must not reject (a guard logs its own failures).
   */
  release(type: string, id: string): Promise<void>;
}
