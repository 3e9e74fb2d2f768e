// Agent side of enrollment, pure key and CSR helpers (no files): the host makes its own Ed25519 key, sends
// only a PKCS#10 request for CN=<hostId>, and reads back what the CA issued.
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { x509 } from './x509.js';
import { cryptoKeyPair, keyAlgorithms, spkiBase64, toPem } from './keys.js';

/** A fresh Ed25519 key: PKCS#8 PEM (stays on the host) and its public half as SPKI DER base64. */
export function generateHostKey(): { privateKeyPem: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: spkiBase64(privateKey),
  };
}

/** PKCS#10 PEM for CN=hostId, self-signed with the host's key (Ed25519 or P-256). */
export async function createCsr(hostId: string, privateKeyPem: string): Promise<string> {
  const { keys, kind } = await cryptoKeyPair(privateKeyPem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [hostId] }],
    keys,
    signingAlgorithm: keyAlgorithms[kind].signAlg,
  });
  return toPem(csr.rawData, 'CERTIFICATE REQUEST');
}

export interface CertificateInfo {
  subjectCn: string;
  /** Lowercase hex, as ProductCa reports it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SPKI DER base64. */
  publicKey: string;
}

/** What a certificate says about its holder (no chain check: that is TLS's job). */
export function certificateInfo(certPem: string): CertificateInfo {
  const cert = new X509Certificate(certPem);
  const cn = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return {
    subjectCn: cn ? cn.slice(3) : '',
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    publicKey: spkiBase64(cert.publicKey),
  };
}

/** True when the PEM private key is the one the certificate was issued for. */
export function keyMatchesCertificate(privateKeyPem: string, certPem: string): boolean {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(privateKeyPem));
}
