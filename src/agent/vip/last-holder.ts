// Whom this host last saw holding the VIP, and whether that host gave it up: the reason this host gives
// for its own claim (the VipMoved event: Initial, HolderLost, HolderReleased, Outranked). Pure.
import type { VipAdvert } from './advert.js';
import type { VipReason } from './election-types.js';
import { ranksBetter, type VipPolicy } from './policy.js';

export class LastHolder {
  private last: { hostId: string; released: boolean } | undefined;

  /** A peer's accepted advert. */
  seen(advert: Pick<VipAdvert, 'hostId' | 'holding'>): void {
    if (advert.holding) this.last = { hostId: advert.hostId, released: false };
    else if (this.last?.hostId === advert.hostId) this.last.released = true;
  }

  /** This host claimed. */
  claimed(selfHostId: string): void {
    this.last = { hostId: selfHostId, released: false };
  }

  /** Why this host claims now. */
  claimReason(policy: VipPolicy, selfHostId: string): VipReason {
    const last = this.last;
    if (!last || last.hostId === selfHostId) return 'Initial';
    if (!last.released) return 'HolderLost';
    return ranksBetter(policy, selfHostId, last.hostId) ? 'Outranked' : 'HolderReleased';
  }
}
