// v2: the host workflow tells the host's agent which cluster counts it, over the broker (a retained message
// the control worker publishes), whenever that changes: a claim, a release by the cluster (removal, delete,
// a refused admission) or of a stale claim. An agent that was away when it was removed then tears its
// stale overlay down as soon as it reconnects, even if its teardown command expired meanwhile.
import { patched } from '@temporalio/workflow';
import { control } from './activity-options.js';

export const ANNOUNCE_MEMBERSHIP_PATCH = 'announce-membership';

export interface MembershipAnnouncer {
  announce(cluster: string | null): void;
  /** Resolves when every announcement in flight settled (before continue-as-new). */
  settled(): Promise<void>;
}

export function membershipAnnouncer(hostId: string): MembershipAnnouncer {
  const inflight = new Set<Promise<void>>();
  return {
    announce(cluster) {
      // Histories recorded before the patch never announced: they replay without the activity.
      if (!patched(ANNOUNCE_MEMBERSHIP_PATCH)) return;
      const p: Promise<void> = control
        .announceMembership({ hostId, cluster })
        .catch(() => undefined) // best effort: the next underlay report answers with the same membership
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    async settled() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
  };
}
