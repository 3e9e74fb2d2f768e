// The control identity's client certificate (CN = CONTROL_IDENTITY): what the control worker and the
// broker health check connect with. Kept next to the CA (control.crt, control.key, 0600) so a restart
// reuses it; reissued when missing, unreadable, issued by another CA or expiring soon, so `dev` never
// starts a worker that the broker would refuse a few days later.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../agent/state-file.js';
import { CONTROL_IDENTITY } from '../contract/host-channel.js';
import type { ProductCa } from '../pki/ca.js';
import { certificateInfo, keyMatchesCertificate } from '../pki/csr.js';
import { x509 } from '../pki/x509.js';

export const CONTROL_CERT_FILE = 'control.crt';
export const CONTROL_KEY_FILE = 'control.key';
/** Reissued at start when it expires within this long (certificates last 90 days). */
export const CONTROL_RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export interface ControlCertificate {
  certPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
  /** True when this call issued it (first start, expiring, or unusable files). */
  issued: boolean;
}

/** Why the files on disk cannot be used as they are, or null when they can. */
async function unusable(
  ca: ProductCa,
  certPem: string,
  keyPem: string,
  now: Date,
  revoked?: (serial: string) => boolean,
): Promise<string | null> {
  const info = certificateInfo(certPem);
  if (info.subjectCn !== CONTROL_IDENTITY) return `issued to ${info.subjectCn}`;
  if (revoked?.(info.serial)) return 'revoked';
  if (!keyMatchesCertificate(keyPem, certPem)) return 'key does not match';
  if (info.notAfter.getTime() - now.getTime() < CONTROL_RENEW_BEFORE_MS) return 'expires soon';
  const caCert = new x509.X509Certificate(ca.certPem);
  const signedByCa = await new x509.X509Certificate(certPem)
    .verify({ publicKey: caCert.publicKey, signatureOnly: true })
    .catch(() => false);
  return signedByCa ? null : 'not issued by this CA';
}

/** Reads `dir/control.{crt,key}`, or issues and writes a new pair (0600) when they cannot be used. */
export async function loadOrIssueControlCert(
  dir: string,
  ca: ProductCa,
  o: { now?: Date; revoked?: (serial: string) => boolean } = {},
): Promise<ControlCertificate & { reason?: string }> {
  const now = o.now ?? new Date();
  const certPath = join(dir, CONTROL_CERT_FILE);
  const keyPath = join(dir, CONTROL_KEY_FILE);
  let reason = 'missing';
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const why = await unusable(ca, certPem, keyPem, now, o.revoked).catch(
      (err: Error) => `unreadable: ${err.message}`,
    );
    if (why === null) {
      const { serial, notAfter } = certificateInfo(certPem);
      return { certPem, keyPem, serial, notAfter, issued: false };
    }
    reason = why;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pem = await ca.issueClientCert(CONTROL_IDENTITY);
  // key first: a crash in between leaves a certificate that does not match its key, reissued next start
  await writeFileAtomic(keyPath, pem.keyPem);
  await writeFileAtomic(certPath, pem.certPem);
  const { notAfter } = certificateInfo(pem.certPem);
  return { certPem: pem.certPem, keyPem: pem.keyPem, serial: pem.serial, notAfter, issued: true, reason };
}
