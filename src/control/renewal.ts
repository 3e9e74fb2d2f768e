// Certificate renewal over the host's own authenticated session: a CSR on `…/hosts/<id>/renew` is signed
// for the TOPIC's host (the broker proved who that is) and answered on `…/hosts/<id>/certificate`.
// Refused when the host has no running host workflow (unknown or deleted: its certificate is revoked),
// no enrolled key, or when the CSR carries another key than the enrolled one: a stolen certificate must
// not be able to swap the host's identity for a key the thief holds.
import type { Logger } from 'pino';
import type { ProductCa } from '../pki/ca.js';
import { x509 } from '../pki/x509.js';
import type { HostRecord } from '../domain/types.js';
import { type CertificateMessage, hostTopic, renewRequestSchema } from '../contract/host-channel.js';
import type { KeyedQueue } from './keyed-queue.js';
import { parseJson } from './messages.js';
import type { Publisher } from './publisher.js';

/** What the renewal needs from the CA. */
export type HostCsrSigner = Pick<ProductCa, 'signHostCsr'>;

/** A renewed certificate, for whoever records it on the host (the new serial to revoke on delete). */
export interface RenewedCertificate {
  hostId: string;
  serial: string;
  notAfter: Date;
  /** SPKI DER base64 (unchanged: same key). */
  publicKey: string;
}

export interface RenewalDeps {
  ca: HostCsrSigner;
  /** The host's record as its workflow published it, or null when there is no running host workflow. */
  readHost: (hostId: string) => Promise<HostRecord | null>;
  publisher: Publisher;
  queue: KeyedQueue;
  log: Logger;
  /** Called after the certificate was published; a failure is logged, the host keeps its certificate. */
  onRenewed?: (renewed: RenewedCertificate) => Promise<void>;
}

export interface RenewalStats {
  renewed: number;
  refused: number;
}

/** SPKI DER base64 of the CSR's public key, or null when it is no PKCS#10 request. */
export function csrPublicKey(csrPem: string): string | null {
  try {
    return Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData).toString('base64');
  } catch {
    return null;
  }
}

export function createRenewal(deps: RenewalDeps) {
  const stats: RenewalStats = { renewed: 0, refused: 0 };
  const { log } = deps;
  /** The newest request per host, answered by the job when it runs (one queued job per host). */
  const waiting = new Map<string, unknown>();

  const answer = (hostId: string, message: CertificateMessage) =>
    deps.publisher.publish(hostTopic(hostId, 'certificate'), message);

  async function refuse(hostId: string, error: string, security = false): Promise<void> {
    stats.refused += 1;
    log.warn({ hostId, ...(security ? { security: true } : {}), error }, 'certificate renewal refused');
    await answer(hostId, { ok: false, error });
  }

  async function renew(hostId: string): Promise<void> {
    const raw = waiting.get(hostId);
    waiting.delete(hostId);
    const request = renewRequestSchema.safeParse(raw);
    if (!request.success) return refuse(hostId, 'invalid renewal request');
    const key = csrPublicKey(request.data.csr);
    if (key === null) return refuse(hostId, 'not a PEM PKCS#10 certificate request');
    const record = await deps.readHost(hostId);
    if (record === null) return refuse(hostId, 'unknown or deleted host', true);
    if (!record.publicKey) return refuse(hostId, 'the host has no enrolled key');
    if (record.publicKey !== key) return refuse(hostId, 'the CSR key differs from the enrolled key', true);
    let signed: Awaited<ReturnType<HostCsrSigner['signHostCsr']>>;
    try {
      signed = await deps.ca.signHostCsr(request.data.csr, hostId);
    } catch (err) {
      return refuse(hostId, (err instanceof Error ? err.message : String(err)).slice(0, 500));
    }
    await answer(hostId, { ok: true, certificate: signed.certPem });
    stats.renewed += 1;
    log.info(
      { hostId, serial: signed.serial, notAfter: signed.notAfter.toISOString() },
      'certificate renewed',
    );
    if (deps.onRenewed) {
      const { serial, notAfter, publicKey } = signed;
      await deps.onRenewed({ hostId, serial, notAfter, publicKey }).catch((err: unknown) => {
        log.error({ hostId, serial, error: String(err) }, 'could not record the renewed certificate');
      });
    }
  }

  return {
    /** Handles one message on `hostId`'s renew leaf: queued, the newest request per host wins. */
    onRenew(hostId: string, payload: Buffer): void {
      waiting.set(hostId, parseJson(payload));
      deps.queue.push(hostId, 'renew', () => renew(hostId));
    },
    stats: (): RenewalStats => ({ ...stats }),
  };
}
