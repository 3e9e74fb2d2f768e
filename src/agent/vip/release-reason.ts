// Why a holder gives the VIP up now, if it must (election.ts): the release rules in their order of
// precedence. Pure.
import type { VipReason } from './election-types.js';
import type { PeerTable } from './peers.js';
import { isEligible, majority, ranksBetter, type VipPolicy, type VipWindows } from './policy.js';

export function releaseReason(
  me: string,
  policy: VipPolicy,
  peers: PeerTable,
  win: Pick<VipWindows, 'seenMs' | 'freshMs'>,
  votes: number,
  nowMs: number,
): VipReason | undefined {
  if (!isEligible(policy, me)) return 'NotEligible';
  const better = (h: string) => ranksBetter(policy, h, me);
  // another host advertises the VIP too: the better-ranked one keeps it
  if (peers.holdersSeen(nowMs, win.seenMs).some((e) => better(e.advert.hostId))) return 'Conflict';
  if (peers.candidates(policy, nowMs, win.freshMs).some((e) => better(e.advert.hostId))) return 'Outranked';
  if (votes < majority(policy)) return 'QuorumLost';
  return undefined;
}
