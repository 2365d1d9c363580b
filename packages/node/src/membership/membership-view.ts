/**
 * The cluster view of a membership, rebuilt lazily: changes only mark it, and the next read pays.
 *
 * ```
 *  change(joined | left | died | updated | restarted) ─► stale ─► next read: createClusterView (new ring)
 *  change(load-updated)                                ─► loads ─► next read: withLoadReports (same ring)
 * ```
 * Heartbeats arrive far more often than routing needs a new snapshot of them, so many changes between two
 * reads cost one rebuild, and load-only changes never rebuild the ring.
 */
import {
  type ClusterView,
  type ClusterViewOptions,
  createClusterView,
  type LoadReport,
  withLoadReports,
} from '@lucent/core/internal';
import { changesMembership, type MemberChange, type MemberRecord } from './membership-table.js';

/** Keeps the {@link ClusterView} of a changing member list. */
export class MembershipView {
  /** Views built from scratch (each with a new ring); load-only updates do not count. */
  builds = 0;
  readonly #options: ClusterViewOptions;
  readonly #members: () => readonly MemberRecord[];
  readonly #pendingLoads = new Map<string, LoadReport>();
  #view: ClusterView;
  #stale = false;

  /**
   * @param members the current members (called on a rebuild, so it sees every change applied so far)
   * @throws ConfigError for invalid ring options
   */
  constructor(members: () => readonly MemberRecord[], options: ClusterViewOptions) {
    this.#members = members;
    this.#options = options;
    this.#view = createClusterView([], options);
  }

  /** Records a change of the member list; O(1), builds nothing. */
  apply(change: MemberChange): void {
    if (changesMembership(change)) this.#stale = true;
    // A stale view is rebuilt from the members, whose loads are already current.
    else if (!this.#stale) this.#pendingLoads.set(change.member.id, change.member.load);
  }

  /** The view reflecting every change applied so far; the same object while nothing changed. */
  get current(): ClusterView {
    if (this.#stale) {
      this.#stale = false;
      this.#pendingLoads.clear();
      this.#view = createClusterView(this.#members(), this.#options);
      this.builds++;
    } else if (this.#pendingLoads.size > 0) {
      this.#view = withLoadReports(this.#view, this.#pendingLoads);
      this.#pendingLoads.clear();
    }
    return this.#view;
  }
}
