/**
 * A client's side of sagas: `client.saga(definition).start(input)` stores the start in the saga's actor (on its
 * owner, durably) and then announces it in the cluster's saga index, which the owner watches and drives it
 * from. The handle awaits the outcome (the index entry turning final) or asks the actor where it is now.
 */
import { isFinalSagaStatus, type SagaDefinition, type SagaState } from '@lucent/actors/internal';
import { actorKey, ConfigError, TimeoutError } from '@lucent/core/internal';
import type { SagaIndex } from '../saga/saga-index.js';
import type { ActorHandle } from './actor-handle.js';

/** Options of {@link SagaClient.start}. */
export interface SagaStartOptions {
  /** The saga's id (default a random UUID); starting an id that exists again changes nothing (idempotent). */
  readonly id?: string;
}

/** Where a saga is, as {@link SagaHandle.status} reports it. */
export interface SagaProgress {
  readonly status: SagaState['status'];
  /** The step running or next to run (compensating: the step being compensated); `undefined` once final. */
  readonly step: string | undefined;
  readonly state: SagaState;
}

/** What a saga client needs from the client it belongs to. */
export interface SagaClientParts {
  actor(type: string, id: string): ActorHandle<unknown, SagaState>;
  index(): Promise<SagaIndex>;
  /** Wall-clock waits between polls of the outcome. */
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** A handle to one saga. */
export class SagaHandle {
  readonly id: string;
  readonly #definition: SagaDefinition;
  readonly #parts: SagaClientParts;

  constructor(definition: SagaDefinition, id: string, parts: SagaClientParts) {
    this.#definition = definition;
    this.id = id;
    this.#parts = parts;
  }

  /**
   * Resolves with the final state (`status` `completed`, `compensated` or `failed`; `results`, `error`,
   * `compensationError`). Polls the saga index every `pollMs` (default 100); rejects with `TimeoutError` after
   * `timeoutMs` (default 60 000).
   */
  async result(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<SagaState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const index = await this.#parts.index();
    const key = actorKey(this.#definition.actor.type, this.id);
    const deadline = this.#parts.now() + timeoutMs;
    for (;;) {
      const entry = await index.get(key);
      if (entry?.state !== undefined && isFinalSagaStatus(entry.status)) return entry.state;
      if (this.#parts.now() >= deadline) throw new TimeoutError({ target: `saga ${key}`, timeoutMs });
      await this.#parts.sleep(options.pollMs ?? 100);
    }
  }

  /** Asks the saga's actor where it is now. Rejects like an actor ask. */
  async status(): Promise<SagaProgress> {
    const state = await this.#parts.actor(this.#definition.actor.type, this.id).ask({ type: 'saga.status' });
    const step = isFinalSagaStatus(state.status) ? undefined : this.#definition.steps[state.index]?.name;
    return { status: state.status, step, state };
  }
}

/** `client.saga(definition)`: starts sagas of one definition and hands out their handles. */
export class SagaClient<I = unknown> {
  readonly #definition: SagaDefinition<I>;
  readonly #parts: SagaClientParts;

  constructor(definition: SagaDefinition<I>, parts: SagaClientParts) {
    this.#definition = definition;
    this.#parts = parts;
  }

  /**
   * Starts a saga on `input` and resolves with its handle once the start is stored and announced. Rejects like
   * an actor ask (the saga's owner stores the start), or when the index does not confirm; retry with the same
   * `id` then (a start is idempotent).
   */
  async start(input: I, options: SagaStartOptions = {}): Promise<SagaHandle> {
    const id = options.id ?? crypto.randomUUID();
    if (typeof id !== 'string' || id === '') {
      throw new ConfigError({
        subject: `saga:${this.#definition.name}`,
        field: 'id',
        reason: 'must be a non-empty string',
      });
    }
    const type = this.#definition.actor.type;
    const state = await this.#parts.actor(type, id).ask({ type: 'saga.start', input });
    const index = await this.#parts.index();
    const key = actorKey(type, id);
    if ((await index.get(key)) === undefined || !isFinalSagaStatus(state.status)) {
      await index.put(key, { saga: this.#definition.name, id, status: state.status });
    }
    return new SagaHandle(this.#definition as SagaDefinition, id, this.#parts);
  }

  /** The handle of saga `id` (started earlier, maybe by another client). Contacts nothing. */
  handle(id: string): SagaHandle {
    return new SagaHandle(this.#definition as SagaDefinition, id, this.#parts);
  }
}
