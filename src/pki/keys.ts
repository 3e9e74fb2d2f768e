// Key plumbing shared by the CA side and the agent side: PEM (node:crypto, what files and TLS use) to
// WebCrypto keys (what @peculiar/x509 signs with). Only Ed25519 and ECDSA P-256 exist in this product:
// both are accepted by OpenSSL 3 (mosquitto) and Node's TLS, and nothing else is ever signed.
import { createPrivateKey, createPublicKey, type KeyObject, webcrypto } from 'node:crypto';

export type KeyKind = 'ed25519' | 'p256';

/** The WebCrypto algorithm for importing a key of this kind, and the one for signing with it. */
export const keyAlgorithms: Record<
  KeyKind,
  {
    importAlg: webcrypto.EcKeyImportParams | webcrypto.Algorithm;
    signAlg: webcrypto.EcdsaParams | webcrypto.Algorithm;
  }
> = {
  ed25519: { importAlg: { name: 'Ed25519' }, signAlg: { name: 'Ed25519' } },
  p256: { importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, signAlg: { name: 'ECDSA', hash: 'SHA-256' } },
};

/** ed25519, p256, or null for any other key (RSA, other curves, X25519 …). */
export function keyKindOf(key: KeyObject): KeyKind | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'p256';
  return null;
}

export class UnsupportedKeyError extends Error {
  override readonly name = 'UnsupportedKeyError';
}

function requireKind(key: KeyObject): KeyKind {
  const kind = keyKindOf(key);
  if (!kind) throw new UnsupportedKeyError('only Ed25519 and ECDSA P-256 keys are supported');
  return kind;
}

/** SPKI DER, base64: the public-key form carried in peer tables and enrollment answers. */
export const spkiBase64 = (key: KeyObject): string =>
  (key.type === 'public' ? key : createPublicKey(key))
    .export({ type: 'spki', format: 'der' })
    .toString('base64');

/** A WebCrypto key pair (both halves) from a PKCS#8 PEM private key; `kind` tells how to sign with it. */
export async function cryptoKeyPair(
  privateKeyPem: string,
): Promise<{ keys: webcrypto.CryptoKeyPair; kind: KeyKind }> {
  const priv = createPrivateKey(privateKeyPem);
  const kind = requireKind(priv);
  const { importAlg } = keyAlgorithms[kind];
  const { subtle } = webcrypto;
  const pkcs8 = priv.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, importAlg, true, ['verify']);
  return { keys: { privateKey, publicKey }, kind };
}

/** PEM with OpenSSL's labels ('X509 CRL', not the library's 'CRL') and a final newline, so files can be
 * concatenated and read by mosquitto. */
export function toPem(der: ArrayBuffer, label: 'CERTIFICATE' | 'X509 CRL' | 'CERTIFICATE REQUEST'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
