// What makes a certificate this host's own: issued by the product CA (signature checked), CN = host id,
// made for this host's private key, and within its validity. Node's X509Certificate does the work, so the
// agent needs no X.509 library at runtime (it stays lean: point 7 of issue 12).
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';

/** A certificate issued a moment ago by a control plane whose clock runs ahead is still accepted. */
const CLOCK_SKEW_MS = 5 * 60_000;

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

export interface CertificateFacts {
  commonName: string | null;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
}

/** The CN of a subject as Node prints it (one `KEY=value` per line); null when there is none. */
export function commonNameOf(cert: X509Certificate): string | null {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : null;
}

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  return {
    commonName: commonNameOf(cert),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    serialNumber: cert.serialNumber,
  };
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new IdentityError(`${what} is not a PEM certificate: ${(err as Error).message}`);
  }
}

export function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new IdentityError(`the private key file is not a PEM private key: ${(err as Error).message}`);
  }
}

export interface HostCertificateCheck {
  certPem: string;
  caPem: string;
  hostId: string;
  privateKey: KeyObject;
  now?: Date;
}

/** Throws an IdentityError saying which check failed; returns the certificate's facts when all pass. */
export function checkHostCertificate(c: HostCertificateCheck): CertificateFacts {
  const cert = parseCertificate(c.certPem, 'the host certificate');
  const ca = parseCertificate(c.caPem, 'the CA certificate');
  const facts = certificateFacts(cert);
  if (facts.commonName !== c.hostId) {
    throw new IdentityError(
      `the certificate is for "${facts.commonName ?? '(no CN)'}", not for host "${c.hostId}"`,
    );
  }
  if (!ca.ca) throw new IdentityError('the CA certificate is not a CA (basicConstraints CA:FALSE)');
  // checkIssued compares names and key ids; verify checks the signature itself
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new IdentityError('the certificate was not issued by the CA this host enrolled with');
  }
  if (!cert.checkPrivateKey(c.privateKey)) {
    throw new IdentityError("the certificate was not made for this host's private key");
  }
  const now = c.now ?? new Date();
  if (now.getTime() + CLOCK_SKEW_MS < facts.notBefore.getTime())
    throw new IdentityError(`the certificate is not valid before ${facts.notBefore.toISOString()}`);
  if (now >= facts.notAfter)
    throw new IdentityError(`the certificate expired at ${facts.notAfter.toISOString()}`);
  return facts;
}
