// The underlay beacon: authenticated L2 broadcast of "host → underlay IP" for when the overlay and
// the control plane are unreachable. codec/verifier/peers are pure; beacon.ts owns the socket.
import { randomBytes } from 'node:crypto';

export { type Beacon, type BeaconOptions, ifaceIpv4, startBeacon } from './beacon.js';
export { type BeaconMessage, decodeBeacon, encodeBeacon, parseBeaconKey } from './codec.js';
export { type BeaconPeerUpdate, directedBroadcast, movePeerUnderlay } from './peers.js';
export { BeaconVerifier, type RejectReason, type VerifyResult } from './verifier.js';

/** A fresh per-cluster key (32 random bytes, base64url) for OverlaySpec.beaconKey. */
export const generateBeaconKey = (): string => randomBytes(32).toString('base64url');
