/**
 * One actor: the message path (tell, ask, the drain loop) on top of {@link CellLifecycle}, which holds the
 * state machine. The cell is also the actor's {@link ActorRef} (no wrapper, so `tell` is one call).
 *
 * Hot path: `tell` enqueues into a ring buffer and, once per burst, queues the cell on the system's dispatcher
 * (one microtask for all ready actors); the drain runs messages synchronously while `receive` returns a
 * non-thenable, and parks (busy) on a thenable until it settles. No closure, promise or error is created per
 * told message.
 */
import { ActorStoppedError } from '@lucent/core/internal';
import { CellLifecycle, ChildCells, RUNNING, STOPPED, STOPPING } from './cell-lifecycle.js';
import type { CellRuntime, Supervisor } from './cell-runtime.js';
import { PendingAsk } from './pending-ask.js';
import type { AskOptions, BehaviorSource, SpawnOptions } from './types.js';
import { invalidAskTimeout, validateChildName } from './validation.js';

/** Messages run per drain before the cell queues itself again behind other ready actors (fairness). */
const DRAIN_BUDGET = 1024;
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The reactions to an async receive and the ask it answers. Created when a receive goes async and dropped when the
 * actor is idle again: a burst of async receives reuses one, an actor whose only async receive was its first
 * message (a function actor's activation) keeps nothing (~200 B with the closures and their context).
 */
class AsyncReceive {
  ask: PendingAsk | undefined = undefined;
  readonly done: (value: unknown) => void;
  readonly failed: (error: unknown) => void;

  constructor(cell: { asyncDone(value: unknown): void; asyncFailed(error: unknown): void }) {
    this.done = (value) => cell.asyncDone(value);
    this.failed = (error) => cell.asyncFailed(error);
  }
}

/** An actor. Created only through {@link spawnCell}. */
export class ActorCell<M> extends CellLifecycle<M> {
  private async: AsyncReceive | null = null;

  tell(message: M): void {
    if (this.status >= STOPPING) {
      this.runtime.deadLetters.publish(this.path, message, 'stopped');
      return;
    }
    if (this.mailbox.enqueue(message, undefined) && !this.scheduled && !this.busy && this.status === RUNNING) {
      this.scheduled = true;
      this.runtime.dispatcher.schedule(this);
    }
  }

  ask<R = unknown>(message: M, options?: AskOptions): Promise<R> {
    const timeoutMs = options?.timeoutMs ?? this.runtime.defaultAskTimeoutMs;
    const ask = new PendingAsk(this.path, timeoutMs);
    if (!(timeoutMs > 0)) {
      ask.reject(invalidAskTimeout(this.path, timeoutMs));
    } else if (this.status >= STOPPING) {
      this.runtime.deadLetters.publish(this.path, message, 'stopped');
      ask.reject(new ActorStoppedError({ actor: this.path }));
    } else {
      this.runtime.deadlines.add(ask);
      if (this.mailbox.enqueue(message, ask) && !this.scheduled && !this.busy && this.status === RUNNING) {
        this.scheduled = true;
        this.runtime.dispatcher.schedule(this);
      }
    }
    return ask.promise as Promise<R>;
  }

  /** Graceful stop; idempotent; the promise resolves once this actor, its children and postStop are done. */
  stop(): Promise<void> {
    this.requestStop('stopped', undefined);
    if (this.status === STOPPED) return RESOLVED;
    return this.stoppedPromise();
  }

  /** @internal Spawns a child supervised by this cell. */
  spawnChild<C>(source: BehaviorSource<C>, options: SpawnOptions | undefined): ActorCell<C> {
    if (this.status >= STOPPING) throw new ActorStoppedError({ actor: this.path });
    this.children ??= new ChildCells();
    const children = this.children;
    const name = options?.name ?? generatedName(children, () => children.generated++);
    return spawnCell(this.runtime, this, this.path, children, name, source, options);
  }

  /**
   * @internal Run by the dispatcher: runs messages until the mailbox is empty, a receive goes async, the
   * budget is spent (then it queues itself again, behind the actors already waiting) or the state changes.
   */
  drain(): void {
    this.scheduled = false;
    let budget = DRAIN_BUDGET;
    while (this.status === RUNNING && !this.busy) {
      let result: unknown;
      let ask: PendingAsk | undefined;
      const system = this.systemQueue;
      if (system !== null && system.length > 0) {
        const event = system.shift()!;
        if (event.type === 'child.escalated') {
          if (this.children?.get(event.child.name) === event.child) this.fail(event.error, 'escalation', event.child);
          continue;
        }
        const hook = this.behavior.childTerminated;
        if (hook === undefined) continue;
        this.busy = true;
        try {
          result = hook.call(this.behavior, event, this.context);
        } catch (error) {
          this.busy = false;
          this.fail(error, 'childTerminated', undefined);
          continue;
        }
      } else {
        if (this.mailbox.size === 0) break;
        const message = this.mailbox.takeMessage() as M;
        ask = this.mailbox.takeAsk();
        this.busy = true;
        try {
          result = this.behavior.receive(message, this.context);
        } catch (error) {
          this.busy = false;
          ask?.reject(error);
          this.fail(error, 'receive', undefined);
          continue;
        }
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        this.async ??= new AsyncReceive(this);
        const async = this.async;
        async.ask = ask;
        try {
          (result as PromiseLike<unknown>).then(async.done, async.failed);
        } catch (error) {
          // A hand-made thenable whose `then` throws: a failure like any other, not a wedged actor.
          this.busy = false;
          async.ask = undefined;
          ask?.reject(error);
          this.fail(error, 'receive', undefined);
          continue;
        }
        return;
      }
      this.busy = false;
      if (ask !== undefined && !ask.resolve(result)) this.runtime.deadLetters.publish(this.path, result, 'late-reply');
      if (--budget === 0) {
        this.scheduleDrain();
        return;
      }
    }
    if (this.status === STOPPING && !this.busy) this.finishStop();
  }

  /** @internal An async receive fulfilled. */
  asyncDone(value: unknown): void {
    this.busy = false;
    const async = this.async!;
    const ask = async.ask;
    async.ask = undefined;
    if (ask !== undefined && !ask.resolve(value)) this.runtime.deadLetters.publish(this.path, value, 'late-reply');
    this.afterAsync();
  }

  /** @internal An async receive rejected. */
  asyncFailed(error: unknown): void {
    this.busy = false;
    const async = this.async!;
    const ask = async.ask;
    async.ask = undefined;
    ask?.reject(error);
    this.fail(error, 'receive', undefined);
    this.afterAsync();
  }

  private afterAsync(): void {
    if (this.status === RUNNING) this.drain();
    else if (this.status === STOPPING) this.finishStop();
    if (!this.busy) this.async = null; // idle again: see AsyncReceive
  }
}

/** A name not used by any sibling: `$0`, `$1`, … (base 36). */
export function generatedName(siblings: ReadonlyMap<string, unknown>, next: () => number): string {
  let name = `$${next().toString(36)}`;
  while (siblings.has(name)) name = `$${next().toString(36)}`;
  return name;
}

/**
 * Creates, registers and starts a cell under `parentPath`. Throws `ConfigError` for an invalid or taken name
 * or invalid options; nothing is registered then. preStart runs synchronously inside this call.
 */
export function spawnCell<C>(
  runtime: CellRuntime,
  supervisor: Supervisor,
  parentPath: string,
  siblings: Map<string, CellLifecycle<unknown>>,
  name: string,
  source: BehaviorSource<C>,
  options: SpawnOptions | undefined,
): ActorCell<C> {
  const path = `${parentPath}/${name}`;
  validateChildName(name, path, siblings);
  const cell = new ActorCell<C>(runtime, supervisor, path, source, options);
  siblings.set(name, cell as CellLifecycle<unknown>);
  cell.start();
  return cell;
}
