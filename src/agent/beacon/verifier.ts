// Acceptance rules for received beacons, on top of the MAC check in codec.ts:
// right cluster, not our own, fresh (within the time window) and newer than anything seen from that
// sender (replay protection). Pure: state lives in the instance, the clock is passed in.
import { type BeaconMessage, decodeBeacon } from './codec.js';

export type RejectReason =
  | 'malformed'
  | 'bad-mac'
  | 'invalid-fields'
  | 'foreign-cluster'
  | 'own-message'
  | 'stale'
  | 'from-future'
  | 'replay'
  | 'source-mismatch';

export type VerifyResult =
  | { accepted: true; msg: BeaconMessage; changed: boolean }
  | { accepted: false; reason: RejectReason };

export interface VerifierOptions {
  clusterName: string;
  selfHostId: string;
  key: Buffer;
  /** Max |receiver clock - sender ts|; beacons older than this are replays or delayed junk. */
  windowMs?: number;
}

export const DEFAULT_BEACON_WINDOW_MS = 30_000;

export class BeaconVerifier {
  private readonly lastSeq = new Map<string, number>();
  private readonly lastUnderlay = new Map<string, string>();
  private readonly windowMs: number;

  constructor(private readonly opts: VerifierOptions) {
    this.windowMs = opts.windowMs ?? DEFAULT_BEACON_WINDOW_MS;
  }

  /**
   * `sourceIp`, when given, must equal the claimed underlay address: a valid beacon replayed
   * from another address is refused even inside the window.
   */
  verify(packet: Buffer, nowMs: number, sourceIp?: string): VerifyResult {
    const decoded = decodeBeacon(packet, this.opts.key);
    if (!decoded.ok) return { accepted: false, reason: decoded.reason };
    const { msg } = decoded;
    if (msg.clusterName !== this.opts.clusterName) return { accepted: false, reason: 'foreign-cluster' };
    if (msg.hostId === this.opts.selfHostId) return { accepted: false, reason: 'own-message' };
    if (sourceIp !== undefined && sourceIp !== msg.underlayIp)
      return { accepted: false, reason: 'source-mismatch' };
    if (msg.ts < nowMs - this.windowMs) return { accepted: false, reason: 'stale' };
    if (msg.ts > nowMs + this.windowMs) return { accepted: false, reason: 'from-future' };
    const seen = this.lastSeq.get(msg.hostId);
    if (seen !== undefined && msg.seq <= seen) return { accepted: false, reason: 'replay' };
    this.lastSeq.set(msg.hostId, msg.seq);
    const changed = this.lastUnderlay.get(msg.hostId) !== msg.underlayIp;
    this.lastUnderlay.set(msg.hostId, msg.underlayIp);
    return { accepted: true, msg, changed };
  }

  /** Last accepted underlay address per peer host. */
  known(): ReadonlyMap<string, string> {
    return this.lastUnderlay;
  }
}
