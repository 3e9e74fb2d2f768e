// Acceptance rules for received VIP adverts, cheapest first (as the beacon's verifier.ts):
//   shape (advert.ts) → right cluster, not our own → sender is a voter with a public key from the peer
//   table → (epoch, counter) after the last accepted one of that sender (beacon/replay.ts) → verification
//   budget (beacon/rate-limit.ts) → the sender's signature → accepted, position remembered.
// An advert of host A claiming to be host B fails at the signature (it is checked with B's key, never A's).
// Every advert is verified (unlike the beacon's unchanged repeats): its vote echo changes every time.
// Pure apart from the signature check: state lives in the instance, the clock is passed in.
import { VerifyBudget, type VerifyBudgetLimits } from '../beacon/rate-limit.js';
import { isAfter } from '../beacon/replay.js';
import { parseAdvert, type VipAdvert, verifyAdvert } from './advert.js';
import { DEFAULT_ADVERT_INTERVAL_MS, MAX_VIP_VOTERS } from '../../domain/site-vip.js';
import { SenderKeys } from './sender-keys.js';

export type AdvertRejectReason =
  | 'malformed'
  | 'invalid-fields'
  | 'foreign-cluster'
  | 'own-message'
  | 'unknown-host'
  | 'replay'
  | 'rate-limited'
  | 'bad-signature'
  /** Not a rejection: the caller's `drop` said it repeats what is known (advert-cadence.ts). */
  | 'repeat';

export type AdvertVerifyResult =
  | { accepted: true; advert: VipAdvert }
  | { accepted: false; reason: AdvertRejectReason };

/** A peer sends one advert per A plus one per state change: allow 3 per A, and all voters at once. */
export function advertVerifyLimits(advertIntervalMs = DEFAULT_ADVERT_INTERVAL_MS): VerifyBudgetLimits {
  const perSecond = Math.ceil((3 * 1000) / advertIntervalMs);
  return {
    perSource: { burst: perSecond, perSecond },
    global: { burst: MAX_VIP_VOTERS * perSecond, perSecond: MAX_VIP_VOTERS * perSecond },
    maxSources: 4096,
  };
}

export interface AdvertVerifierOptions {
  clusterName: string;
  selfHostId: string;
  /** The voters' hostId → Peer.publicKey (SPKI DER base64); replaced wholesale by setPeerKeys. */
  peerKeys?: Iterable<readonly [string, string]>;
  limits?: VerifyBudgetLimits;
}

export class AdvertVerifier {
  private readonly senders: SenderKeys;
  private readonly budget: VerifyBudget;
  /** Signature checks run so far. */
  verifications = 0;

  constructor(private readonly opts: AdvertVerifierOptions) {
    this.senders = new SenderKeys(opts.selfHostId);
    this.budget = new VerifyBudget(opts.limits ?? advertVerifyLimits());
    if (opts.peerKeys) this.setPeerKeys(opts.peerKeys);
  }

  /** The voters whose adverts may be accepted, with their keys (see sender-keys.ts). */
  setPeerKeys(keys: Iterable<readonly [string, string]>): { usable: number; unusable: string[] } {
    return this.senders.set(keys);
  }

  /**
   * `nowMs`: a monotonic clock (it only drives the rate limit); `sourceIp`: the UDP source address;
   * `drop`: asked after the cheap checks, before the budget and the signature: true drops the advert
   * unverified (it can only ever drop: nothing unverified is accepted).
   */
  verify(
    packet: Buffer,
    nowMs: number,
    sourceIp: string,
    drop?: (advert: VipAdvert) => boolean,
  ): AdvertVerifyResult {
    const parsed = parseAdvert(packet);
    if (!parsed.ok) return { accepted: false, reason: parsed.reason };
    const advert = parsed.unverified.msg;
    if (advert.clusterName !== this.opts.clusterName) return { accepted: false, reason: 'foreign-cluster' };
    if (advert.hostId === this.opts.selfHostId) return { accepted: false, reason: 'own-message' };
    const sender = this.senders.get(advert.hostId);
    if (!sender) return { accepted: false, reason: 'unknown-host' };
    if (!isAfter(advert, sender.last)) return { accepted: false, reason: 'replay' };
    if (drop?.(advert)) return { accepted: false, reason: 'repeat' };
    if (this.budget.take(sourceIp, nowMs) !== 'ok') return { accepted: false, reason: 'rate-limited' };
    this.verifications++;
    if (!verifyAdvert(parsed.unverified, sender.key)) return { accepted: false, reason: 'bad-signature' };
    sender.last = { epoch: advert.epoch, counter: advert.counter };
    return { accepted: true, advert };
  }
}
