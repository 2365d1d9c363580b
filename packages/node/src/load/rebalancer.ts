/**
 * The shell of core's `nextRebalance`: after every load sample, the node decides, from its own score and its
 * peers' (the membership view's load scores), whether to shed part of its ring (lower its weight one bounded
 * step, when a cooler peer can take it), absorb part of a hot peer's (raise it, when it is among the coolest),
 * bring it back toward 1, or say it is a scale-in candidate, and carries it out.
 *
 * ```
 *  load reporter sample ─► nextRebalance(state, score, peers) ─► shed/absorb/restore: membership.setWeight(w)
 *                                                          │   └► every view rebuilds its ring; this node's
 *                                                          │      hand-off stops the actors it no longer owns
 *                                                          │      (final save, lease released) and their new
 *                                                          │      owners load them: the state comes along
 *                                                          └► scale-in candidate: log + metric
 * ```
 * Gauges: `lucent_load_score`, `lucent_ring_weight`, `lucent_scale_in_candidate` (1 when the node has been below
 * 0.2 for the consolidation window: it could be removed without losing capacity).
 */
import {
  DEFAULT_REBALANCE_POLICY,
  INITIAL_REBALANCE_STATE,
  type NodeLoadReport,
  nextRebalance,
  type RebalancePolicy,
  type RebalanceState,
} from '@lucent/core/internal';
import { Gauge } from 'prom-client';
import type { MembershipExtension } from '../membership/membership-extension.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import type { LoadReporterExtension } from './load-reporter.js';

export interface RebalancerOptions {
  readonly reporter: LoadReporterExtension;
  readonly membership: MembershipExtension;
  /** Shed and restore ring weight (true), or only report load and scale-in candidacy (false). */
  readonly shed: boolean;
  readonly policy?: RebalancePolicy;
}

/** See the module doc. Start it after membership and the load reporter. */
export class RebalancerExtension implements ShardExtension {
  readonly name = 'rebalancer';
  readonly #options: RebalancerOptions;
  readonly #policy: RebalancePolicy;
  #state: RebalanceState = INITIAL_REBALANCE_STATE;
  #candidate = false;
  #score = 0;
  #context: ShardContext | undefined = undefined;

  constructor(options: RebalancerOptions) {
    this.#options = options;
    this.#policy = options.policy ?? DEFAULT_REBALANCE_POLICY;
  }

  /** True while the node reports itself a scale-in candidate. */
  get scaleInCandidate(): boolean {
    return this.#candidate;
  }

  /** The ring weight the rebalancer set (1 = full share). */
  get weight(): number {
    return this.#state.weight;
  }

  start(context: ShardContext): void {
    this.#context = context;
    const registry = context.metrics.registry;
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('lucent_load_score', 'Load score of this node (0 idle .. 1 saturated; >= 0.9 overloaded)', () => this.#score);
    gauge('lucent_ring_weight', "This node's ring weight (below 1 while it sheds load)", () => this.#state.weight);
    gauge('lucent_scale_in_candidate', '1 when this node stayed below 0.2 load long enough to be removed', () =>
      this.#candidate ? 1 : 0,
    );
    this.#options.reporter.onSample((report) => this.#onSample(report));
  }

  stop(): void {
    this.#context = undefined;
  }

  /** The other members' latest load scores, as this node's view has them. */
  #peerScores(self: string): number[] {
    const members = this.#options.membership.viewSource.current()?.members ?? [];
    const scores: number[] = [];
    for (const member of members) if (member.id !== self) scores.push(member.loadScore);
    return scores;
  }

  #onSample(report: NodeLoadReport): void {
    const context = this.#context;
    if (context === undefined) return;
    this.#score = report.score;
    const step = nextRebalance(this.#state, report.score, this.#peerScores(context.nodeId), this.#policy);
    const before = this.#state.weight;
    if (step.scaleInCandidate !== this.#candidate) {
      this.#candidate = step.scaleInCandidate;
      context.logger.info({ load: report.score, candidate: step.scaleInCandidate }, 'node.scale_in_candidate');
    }
    if (!this.#options.shed) {
      // Only reporting: keep counting, never move weight.
      this.#state = { ...step.state, weight: before };
      return;
    }
    this.#state = step.state;
    if (step.action === 'hold') return;
    this.#options.membership.membership?.setWeight(step.state.weight);
    context.logger.info(
      { load: report.score, action: step.action, from: before, to: step.state.weight },
      'node.rebalance',
    );
  }
}
