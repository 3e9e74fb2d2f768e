// Acceptance rules for received beacons, cheapest first, so a flood pays as little as possible:
//   shape (codec) → right cluster, not our own → sender known, with a public key from the peer table →
//   UDP source = claimed underlay address → (epoch, counter) after the last accepted (replay.ts) →
//   unchanged repeat? (accepted without a signature check) → verification budget (rate-limit.ts) →
//   the sender's signature → accepted, position remembered.
// A beacon of host A claiming to be host B fails at the signature (it is checked with B's key, never A's);
// a host the table does not list, or lists without a key, is refused before any crypto.
// Pure apart from the signature check: state lives in the instance, the clock is passed in.
import type { KeyObject } from 'node:crypto';
import { type BeaconMessage, parseBeacon, verifySigned } from './codec.js';
import { publicKeyFromSpki } from './keys.js';
import { DEFAULT_VERIFY_LIMITS, VerifyBudget, type VerifyBudgetLimits } from './rate-limit.js';
import { isAfter } from './replay.js';

export type RejectReason =
  | 'malformed'
  | 'invalid-fields'
  | 'foreign-cluster'
  | 'own-message'
  | 'unknown-host'
  | 'source-mismatch'
  | 'replay'
  | 'rate-limited'
  | 'bad-signature';

export type VerifyResult =
  | {
      accepted: true;
      msg: BeaconMessage;
      /** The sender's underlay address differs from the one it announced last. */
      changed: boolean;
      /** Same content as the last accepted beacon of this sender (only the counter moved): not re-verified. */
      repeat: boolean;
    }
  | { accepted: false; reason: RejectReason };

export interface VerifierOptions {
  clusterName: string;
  selfHostId: string;
  /** hostId → Peer.publicKey (SPKI DER base64); replaced wholesale by setPeerKeys. */
  peerKeys?: Iterable<readonly [string, string]>;
  limits?: VerifyBudgetLimits;
}

interface SenderState {
  spki: string;
  key: KeyObject;
  last?: BeaconMessage;
}

/** Everything of a beacon but its counter: equal content re-asserts an already-verified claim. */
const sameContent = (a: BeaconMessage, b: BeaconMessage): boolean =>
  a.epoch === b.epoch &&
  a.clusterName === b.clusterName &&
  a.underlayIp === b.underlayIp &&
  a.overlayIp === b.overlayIp &&
  a.seq === b.seq;

export class BeaconVerifier {
  private readonly senders = new Map<string, SenderState>();
  private readonly budget: VerifyBudget;
  /** Signature checks run so far: the CPU a flood actually cost. */
  verifications = 0;

  constructor(private readonly opts: VerifierOptions) {
    this.budget = new VerifyBudget(opts.limits ?? DEFAULT_VERIFY_LIMITS);
    if (opts.peerKeys) this.setPeerKeys(opts.peerKeys);
  }

  /**
   * The peers whose beacons may be accepted, with their keys. A sender whose key is unchanged keeps its
   * replay position; a new key (the host re-enrolled) starts afresh; a host no longer listed is forgotten.
   * Keys that are not Ed25519/P-256 SPKI are skipped (that peer's beacons are then 'unknown-host').
   */
  setPeerKeys(keys: Iterable<readonly [string, string]>): { usable: number; unusable: string[] } {
    const next = new Map<string, SenderState>();
    const unusable: string[] = [];
    for (const [hostId, spki] of keys) {
      if (hostId === this.opts.selfHostId) continue;
      const held = this.senders.get(hostId);
      if (held?.spki === spki) {
        next.set(hostId, held);
        continue;
      }
      const key = publicKeyFromSpki(spki);
      if (key) next.set(hostId, { spki, key });
      else unusable.push(hostId);
    }
    this.senders.clear();
    for (const [h, s] of next) this.senders.set(h, s);
    this.budget.setPeerCount(this.senders.size);
    return { usable: this.senders.size, unusable };
  }

  /** `nowMs` is a monotonic clock (it only drives the rate limit); `sourceIp` is the UDP source address. */
  verify(packet: Buffer, nowMs: number, sourceIp: string): VerifyResult {
    const parsed = parseBeacon(packet);
    if (!parsed.ok) return { accepted: false, reason: parsed.reason };
    const { msg } = parsed.beacon;
    if (msg.clusterName !== this.opts.clusterName) return { accepted: false, reason: 'foreign-cluster' };
    if (msg.hostId === this.opts.selfHostId) return { accepted: false, reason: 'own-message' };
    const sender = this.senders.get(msg.hostId);
    if (!sender) return { accepted: false, reason: 'unknown-host' };
    // Spoofable, but cheap and it keeps a valid beacon from being re-sent from elsewhere.
    if (sourceIp !== msg.underlayIp) return { accepted: false, reason: 'source-mismatch' };
    if (!isAfter(msg, sender.last)) return { accepted: false, reason: 'replay' };
    if (sender.last && sameContent(msg, sender.last))
      // Its content was verified before; the unverified counter is NOT remembered, so a forged high
      // counter cannot push the position ahead of the sender's real beacons. A replayed repeat can only
      // re-assert the sender's newest verified claim (what the sender itself repeats every second).
      return { accepted: true, msg: sender.last, changed: false, repeat: true };
    if (this.budget.take(sourceIp, nowMs) !== 'ok') return { accepted: false, reason: 'rate-limited' };
    this.verifications++;
    if (!verifySigned(parsed.beacon, sender.key)) return { accepted: false, reason: 'bad-signature' };
    const changed = sender.last?.underlayIp !== msg.underlayIp;
    sender.last = msg;
    return { accepted: true, msg, changed, repeat: false };
  }

  /** Last accepted underlay address per peer host. */
  known(): ReadonlyMap<string, string> {
    const out = new Map<string, string>();
    for (const [h, s] of this.senders) if (s.last) out.set(h, s.last.underlayIp);
    return out;
  }
}
