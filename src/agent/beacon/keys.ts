// The keys a beacon is signed and verified with: each host signs with its OWN private key (the agent's
// identity key, never shared) and its peers verify with the public key the control plane put next to it
// in the peer table (Peer.publicKey, SPKI DER base64). No cluster-wide secret exists any more.
// Ed25519 and P-256 are accepted; both give a 64-byte signature (P-256 in IEEE P1363 form, r||s), so
// the wire format has one fixed signature length.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { keyKindOf, spkiBase64 as spkiOfKey } from '../../pki/keys.js';

export const SIGNATURE_BYTES = 64;

/** The private key as the agent's identity module holds it: a KeyObject, or its PEM text. */
export type BeaconPrivateKey = KeyObject | string;

const supported = (key: KeyObject): boolean => keyKindOf(key) !== null;

/** Ed25519 hashes internally (no digest argument); ECDSA signs a SHA-256 digest. */
const digestOf = (key: KeyObject): string | null => (key.asymmetricKeyType === 'ed25519' ? null : 'sha256');

/** The signing key; throws (without echoing the key) when it is not an Ed25519 or P-256 private key. */
export function signingKey(key: BeaconPrivateKey): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch {
    throw new Error('beacon private key is not a PEM private key');
  }
  if (k.type !== 'private' || !supported(k))
    throw new Error('beacon private key must be an Ed25519 or P-256 private key');
  return k;
}

/** SPKI DER base64 of a key's public half: what Peer.publicKey carries for this host. */
export const spkiBase64 = (key: BeaconPrivateKey): string =>
  spkiOfKey(typeof key === 'string' ? createPrivateKey(key) : key);

/** A peer's verification key from Peer.publicKey, or null when it is not an Ed25519/P-256 SPKI. */
export function publicKeyFromSpki(spki: string): KeyObject | null {
  try {
    const k = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
    return supported(k) ? k : null;
  } catch {
    return null;
  }
}

export function signBytes(data: Buffer, key: KeyObject): Buffer {
  return sign(digestOf(key), data, { key, dsaEncoding: 'ieee-p1363' });
}

export function verifyBytes(data: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify(digestOf(key), data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
