// Join tokens and the enrolled identity of one host: the pure rules `host/<hostId>` applies (single use,
// expiry, bounded state). Only SHA-256 digests of tokens ever reach here; the token itself stays with the
// admin who asked for it and the agent that presents it. Pure: no node: imports, time is passed in.
import { z } from 'zod';

/** ApplicationFailure type of a refused redemption (wrong, used, expired or another host's token): 401. */
export const JOIN_TOKEN_REFUSED = 'JoinTokenRefused';

export const DEFAULT_JOIN_TOKEN_TTL_S = 3600;
/** A join token is a bootstrap credential: a week is the longest an admin may leave one lying around. */
export const MAX_JOIN_TOKEN_TTL_S = 7 * 24 * 3600;
/** Outstanding tokens per host; issuing one more forgets the oldest (bounded workflow state). */
export const MAX_OUTSTANDING_TOKENS = 8;
/** Redeemed digests remembered so a replayed token is refused as "already used", not "unknown". */
export const MAX_REMEMBERED_USED = 8;

/** base64url (no padding) of a SHA-256 digest: 43 characters. */
export const tokenHashSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest');
/** The host's public key as SPKI DER, base64 (EC or Ed25519 keys fit; peers verify beacons with it). */
export const publicKeySchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9+/=]+$/);
/** A certificate serial number in lowercase hex. */
export const certificateSerialSchema = z
  .string()
  .max(64)
  .regex(/^[0-9a-f]+$/);

const isoTimeSchema = z.string().max(40);
export const joinTokenEntrySchema = z.object({ hash: tokenHashSchema, expiresAt: isoTimeSchema });
export type JoinTokenEntry = z.infer<typeof joinTokenEntrySchema>;

/** What `host/<hostId>` carries about its identity across continue-as-new. */
export const hostIdentityStateSchema = z.object({
  tokens: z.array(joinTokenEntrySchema).max(MAX_OUTSTANDING_TOKENS),
  usedHashes: z.array(tokenHashSchema).max(MAX_REMEMBERED_USED),
  certificateSerial: certificateSerialSchema.optional(),
  publicKey: publicKeySchema.optional(),
});
export type HostIdentityState = z.infer<typeof hostIdentityStateSchema>;

export const emptyIdentity = (): HostIdentityState => ({ tokens: [], usedHashes: [] });

/** True when there is nothing worth carrying across continue-as-new. */
export const identityIsEmpty = (s: HostIdentityState): boolean =>
  s.tokens.length === 0 && s.usedHashes.length === 0 && !s.certificateSerial && !s.publicKey;

/**
 * Equal-length strings compared without an early exit, so the time taken does not tell how much of a
 * guessed digest matched (no node:crypto timingSafeEqual inside a workflow).
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Finds by scanning every entry (no early exit), for the same reason as digestsEqual. */
function findDigest<T>(items: T[], digest: (item: T) => string, hash: string): T | undefined {
  let found: T | undefined;
  for (const item of items) if (digestsEqual(digest(item), hash) && found === undefined) found = item;
  return found;
}

const expired = (entry: JoinTokenEntry, nowMs: number): boolean => Date.parse(entry.expiresAt) <= nowMs;

/** A new outstanding token; expired ones are dropped and the oldest forgotten beyond the cap. */
export function issueJoinToken(
  state: HostIdentityState,
  hash: string,
  ttlSeconds: number,
  nowMs: number,
): { state: HostIdentityState; expiresAt: string } {
  const expiresAt = new Date(nowMs + ttlSeconds * 1000).toISOString();
  const kept = state.tokens.filter((t) => !expired(t, nowMs) && !digestsEqual(t.hash, hash));
  const tokens = [...kept, { hash, expiresAt }].slice(-MAX_OUTSTANDING_TOKENS);
  return { state: { ...state, tokens }, expiresAt };
}

export type JoinTokenRefusal = 'unknown' | 'used' | 'expired';

/** Why a token may not be redeemed now, or null when it may. A token issued for another host is
 * 'unknown' here: each host workflow holds only its own tokens. */
export function redeemRefusal(
  state: HostIdentityState,
  hash: string,
  nowMs: number,
): JoinTokenRefusal | null {
  const entry = findDigest(state.tokens, (t) => t.hash, hash);
  if (entry) return expired(entry, nowMs) ? 'expired' : null;
  return findDigest(state.usedHashes, (h) => h, hash) !== undefined ? 'used' : 'unknown';
}

export const refusalMessage: Record<JoinTokenRefusal, string> = {
  unknown: 'join token is not valid for this host',
  used: 'join token was already used',
  expired: 'join token has expired',
};

/** Consumes the token (call only after redeemRefusal gave null) and records the new certificate. */
export function redeemJoinToken(
  state: HostIdentityState,
  hash: string,
  identity: { certificateSerial: string; publicKey: string },
): { state: HostIdentityState; previousCertificateSerial: string | null } {
  const tokens = state.tokens.filter((t) => !digestsEqual(t.hash, hash));
  const usedHashes = [...state.usedHashes, hash].slice(-MAX_REMEMBERED_USED);
  const previous = state.certificateSerial;
  return {
    state: { tokens, usedHashes, ...identity },
    previousCertificateSerial:
      previous !== undefined && previous !== identity.certificateSerial ? previous : null,
  };
}
