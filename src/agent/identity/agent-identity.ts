// The host's identity in memory: its key (made here, never sent), its certificate (CN = host id) and the
// CA it chains to. The certificate is the only part that changes (renewal), and only to one that passes
// the same checks as at enrollment, written atomically before it is used.
import type { KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { spkiBase64 } from '../../pki/keys.js';
import { type CertificateFacts, checkHostCertificate } from './certificate.js';
import { type IdentityPaths, writeIdentityFile } from './files.js';

export interface AgentIdentityInit {
  hostId: string;
  privateKey: KeyObject;
  privateKeyPem: string;
  certPem: string;
  caPem: string;
  facts: CertificateFacts;
  brokerUrl: string;
  /** The broker the API named at enrollment (the control plane's own view; informational). */
  enrolledBrokerUrl: string | null;
  paths: IdentityPaths;
}

export class AgentIdentity {
  readonly hostId: string;
  /** PKCS#8 PEM: handed to TLS and to the beacon signer, never logged, never sent. */
  readonly privateKeyPem: string;
  /** SPKI DER base64: what peers verify this host's beacons with. */
  readonly publicKey: string;
  readonly caPem: string;
  readonly brokerUrl: string;
  readonly enrolledBrokerUrl: string | null;
  private readonly privateKey: KeyObject;
  private readonly paths: IdentityPaths;
  private cert: { pem: string; facts: CertificateFacts };

  constructor(i: AgentIdentityInit) {
    this.hostId = i.hostId;
    this.privateKey = i.privateKey;
    this.privateKeyPem = i.privateKeyPem;
    this.publicKey = spkiBase64(i.privateKey);
    this.caPem = i.caPem;
    this.brokerUrl = i.brokerUrl;
    this.enrolledBrokerUrl = i.enrolledBrokerUrl;
    this.paths = i.paths;
    this.cert = { pem: i.certPem, facts: i.facts };
  }

  get certPem(): string {
    return this.cert.pem;
  }
  get notBefore(): Date {
    return this.cert.facts.notBefore;
  }
  get notAfter(): Date {
    return this.cert.facts.notAfter;
  }
  get serialNumber(): string {
    return this.cert.facts.serialNumber;
  }

  /**
   * Takes a renewed certificate: it must be for this host id and this key and chain to the CA, or it is
   * refused (IdentityError) and the current one stays. Written to disk before it is used, so a restart
   * right after a renewal never falls back to the older certificate.
   */
  async replaceCertificate(certPem: string, now = new Date()): Promise<CertificateFacts> {
    const facts = checkHostCertificate({
      certPem,
      caPem: this.caPem,
      hostId: this.hostId,
      privateKey: this.privateKey,
      now,
    });
    await writeIdentityFile(this.paths.cert, certPem);
    this.cert = { pem: certPem, facts };
    return facts;
  }

  /** What logs may show: never the private key (pino serialises through toJSON). */
  toJSON(): Record<string, unknown> {
    return {
      hostId: this.hostId,
      publicKey: this.publicKey,
      serialNumber: this.serialNumber,
      notAfter: this.notAfter.toISOString(),
      brokerUrl: this.brokerUrl,
    };
  }

  [inspect.custom](): string {
    return `AgentIdentity ${JSON.stringify(this.toJSON())}`;
  }
}
