// The underlay beacon: signed L2 broadcast of "host → underlay IP" for when the overlay and the control
// plane are unreachable. Each host signs with its own key; peers verify with the public keys of the
// peer table. codec/keys/replay/rate-limit/verifier/peer-order are pure; beacon.ts owns the socket,
// agent-hook.ts the integration with the agent, epoch.ts the per-start epoch file.
export { type BeaconAgentHook, type BeaconHookOptions, createBeaconAgentHook } from './agent-hook.js';
export {
  type Beacon,
  type BeaconOptions,
  type BeaconStats,
  ifaceIpv4,
  startBeacon,
  type UnderlayReportRef,
} from './beacon.js';
export { directedBroadcast } from './broadcast.js';
export { type BeaconMessage, encodeBeacon, parseBeacon, verifySigned } from './codec.js';
export { BEACON_EPOCH_FILE, nextBootEpoch, nextEpoch } from './epoch.js';
export { type BeaconPrivateKey, publicKeyFromSpki, signingKey, spkiBase64 } from './keys.js';
export { beaconMove, FRESH_MS, mergePushedTable, type PeerClaim, recordNewest } from './peer-order.js';
export { DEFAULT_VERIFY_LIMITS, VerifyBudget, type VerifyBudgetLimits } from './rate-limit.js';
export { type BeaconPosition, isAfter } from './replay.js';
export { BeaconVerifier, type RejectReason, type VerifyResult } from './verifier.js';
