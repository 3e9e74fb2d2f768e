// The product CA: issues the broker's server certificate, the control identity's client certificate and,
// from agents' CSRs, one client certificate per host (CN = hostId = MQTT username = client id), and
// signs the CRL the broker checks. Its key is ECDSA P-256: what OpenSSL 3 (mosquitto) and Node's TLS
// both accept for a CA everywhere; hosts may hold Ed25519 or P-256 keys.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type webcrypto,
} from 'node:crypto';
import { x509 } from './x509.js';
import { BROKER_SERVER_NAME, CONTROL_IDENTITY } from '../contract/host-channel.js';
import { hostIdSchema } from '../domain/validation.js';
import { loadOrCreatePemFiles } from './ca-files.js';
import { CsrRejectedError, type CsrRejection } from './errors.js';
import { cryptoKeyPair, keyAlgorithms, keyKindOf, type KeyKind, toPem } from './keys.js';

export { CsrRejectedError } from './errors.js';

export interface Pem {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** Certificates start a little in the past so a peer whose clock lags still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;
const DEFAULTS = { caDays: 3650, serverDays: 825, clientDays: 90 };
/** A CRL past its nextUpdate locks every client out (mosquitto #1826): it is rewritten on every
 * revocation and every broker start, so a far nextUpdate costs nothing. */
const CRL_DAYS = 3650;

const x = x509;
const CA_ALG = keyAlgorithms.p256.signAlg;

/** 16 random bytes, lowercase hex. The top bits are fixed to 01 so the DER INTEGER is positive and keeps
 * all 16 bytes (no leading zero stripped): the hex read back from the certificate is the same string. */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b.toString('hex');
}

/** An identity that can appear as a certificate CN, MQTT username and `%u` ACL level: a host id or the
 * control identity. Nothing with '/', '+', '#' or spaces ever reaches a certificate. */
function checkIdentity(identity: string): void {
  if (identity !== CONTROL_IDENTITY && !hostIdSchema.safeParse(identity).success) {
    throw new Error(`not a valid broker identity: ${JSON.stringify(identity)}`);
  }
}

export class ProductCa {
  /** serial → identity of every certificate this instance issued (see Broker.reloadRevocations). */
  readonly #issued = new Map<string, string>();

  private constructor(
    readonly certPem: string,
    private readonly caKeyPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly signingKey: webcrypto.CryptoKey,
  ) {}

  static async create(opts: { commonName?: string; validDays?: number } = {}): Promise<ProductCa> {
    const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const { keys } = await cryptoKeyPair(keyPem);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerial(),
      name: [{ CN: [opts.commonName ?? 'edge-overlay CA'] }],
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (opts.validDays ?? DEFAULTS.caDays) * DAY_MS),
      keys,
      signingAlgorithm: CA_ALG,
      extensions: [
        new x.BasicConstraintsExtension(true, 0, true),
        // cRLSign: OpenSSL refuses a CRL from an issuer whose key usage lacks it.
        new x.KeyUsagesExtension(
          x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return ProductCa.load(toPem(cert.rawData, 'CERTIFICATE'), keyPem);
  }

  static async load(certPem: string, keyPem: string): Promise<ProductCa> {
    const cert = new x509.X509Certificate(certPem);
    const priv = createPrivateKey(keyPem);
    if (keyKindOf(priv) !== 'p256') throw new Error('the CA key must be ECDSA P-256');
    const certSpki = Buffer.from(cert.publicKey.rawData);
    if (!certSpki.equals(createPublicKey(priv).export({ type: 'spki', format: 'der' }))) {
      throw new Error('the CA key does not belong to the CA certificate');
    }
    const { keys } = await cryptoKeyPair(keyPem);
    return new ProductCa(toPem(cert.rawData, 'CERTIFICATE'), keyPem, cert, keys.privateKey);
  }

  /** Files ca.crt and ca.key (0600) in `dir` (0700); made on first start. */
  static async loadOrCreate(dir: string): Promise<ProductCa> {
    const { certPem, keyPem } = await loadOrCreatePemFiles(dir, async () => {
      const ca = await ProductCa.create();
      return { certPem: ca.certPem, keyPem: ca.keyPem() };
    });
    return ProductCa.load(certPem, keyPem);
  }

  /** The private key, for saving it (0600). Never log it. */
  keyPem(): string {
    return this.caKeyPem;
  }

  /** The identity this instance issued a certificate with this serial to, if it did. */
  identityOf(serial: string): string | undefined {
    return this.#issued.get(serial.toLowerCase());
  }

  async issueServerCert(opts: { dnsNames?: string[]; ips?: string[]; validDays?: number }): Promise<Pem> {
    const dns = [...new Set([BROKER_SERVER_NAME, 'localhost', ...(opts.dnsNames ?? [])])];
    const ips = [...new Set(['127.0.0.1', ...(opts.ips ?? [])])];
    const keyPem = newKeyPem('p256');
    const { certPem } = await this.#issue({
      cn: BROKER_SERVER_NAME,
      publicKeyPem: keyPem,
      days: opts.validDays ?? DEFAULTS.serverDays,
      usage: x.ExtendedKeyUsage.serverAuth,
      san: [
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ],
    });
    return { certPem, keyPem };
  }

  /** A client certificate with a key made here: for CONTROL_IDENTITY and tests (hosts send CSRs). */
  async issueClientCert(
    identity: string,
    opts: { validDays?: number; keyType?: KeyKind } = {},
  ): Promise<Pem & { serial: string }> {
    checkIdentity(identity);
    const keyPem = newKeyPem(opts.keyType ?? 'ed25519');
    const { certPem, serial } = await this.#issue({
      cn: identity,
      publicKeyPem: keyPem,
      days: opts.validDays ?? DEFAULTS.clientDays,
      usage: x.ExtendedKeyUsage.clientAuth,
    });
    return { certPem, keyPem, serial };
  }

  /** Issues a host's client certificate from its CSR, after checking the request is really that host's. */
  async signHostCsr(
    csrPem: string,
    hostId: string,
    opts: { validDays?: number } = {},
  ): Promise<{ certPem: string; serial: string; publicKey: string; notAfter: Date }> {
    const reject = (reason: CsrRejection, detail: string): never => {
      throw new CsrRejectedError(reason, detail);
    };
    if (!hostIdSchema.safeParse(hostId).success) reject('invalid-host-id', 'the host id is not valid');
    let csr: x509.Pkcs10CertificateRequest | undefined;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      reject('unparseable', 'not a PEM PKCS#10 certificate request');
    }
    const request = csr!;
    const spki = Buffer.from(request.publicKey.rawData);
    const kind = keyKindOf(createPublicKey({ key: spki, format: 'der', type: 'spki' }));
    if (!kind) reject('unsupported-key', 'only Ed25519 and ECDSA P-256 keys are accepted');
    const signed = await request.verify().catch(() => false);
    if (!signed) reject('bad-signature', 'the request is not signed by its own key');
    const subject = JSON.stringify(request.subjectName.toJSON());
    if (subject !== JSON.stringify([{ CN: [hostId] }])) {
      reject('cn-mismatch', 'the subject must be exactly CN=<hostId>');
    }
    const days = opts.validDays ?? DEFAULTS.clientDays;
    const { certPem, serial, notAfter } = await this.#issue({
      cn: hostId,
      publicKey: request.publicKey,
      days,
      usage: x.ExtendedKeyUsage.clientAuth,
    });
    return { certPem, serial, publicKey: spki.toString('base64'), notAfter };
  }

  /** A CRL signed by the CA listing these serials (hex), for mosquitto's crlfile. */
  async crlPem(revokedSerials: readonly string[]): Promise<string> {
    const now = Date.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.cert.subjectName,
      thisUpdate: new Date(now - BACKDATE_MS),
      nextUpdate: new Date(now + CRL_DAYS * DAY_MS),
      entries: [...new Set(revokedSerials.map((s) => s.toLowerCase()))].map((serialNumber) => ({
        serialNumber,
        revocationDate: new Date(now - BACKDATE_MS),
      })),
      signingKey: this.signingKey,
      signingAlgorithm: CA_ALG,
    });
    return toPem(crl.rawData, 'X509 CRL');
  }

  async #issue(o: {
    cn: string;
    publicKeyPem?: string;
    publicKey?: x509.PublicKey;
    days: number;
    usage: string;
    san?: { type: 'dns' | 'ip'; value: string }[];
  }): Promise<{ certPem: string; serial: string; notAfter: Date }> {
    const publicKey = o.publicKey ?? (await cryptoKeyPair(o.publicKeyPem!)).keys.publicKey;
    const serial = newSerial();
    const now = Date.now();
    const notAfter = new Date(now + o.days * DAY_MS);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: [{ CN: [o.cn] }],
      issuer: this.cert.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: CA_ALG,
      extensions: [
        new x.BasicConstraintsExtension(false, undefined, true),
        new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature, true),
        new x.ExtendedKeyUsageExtension([o.usage], false),
        ...(o.san ? [new x.SubjectAlternativeNameExtension(o.san, false)] : []),
        await x.AuthorityKeyIdentifierExtension.create(this.cert, false),
        await x.SubjectKeyIdentifierExtension.create(publicKey),
      ],
    });
    this.#issued.set(serial, o.cn);
    // Certificates are parsed back with notAfter at second precision; report what the certificate says.
    return { certPem: toPem(cert.rawData, 'CERTIFICATE'), serial, notAfter: cert.notAfter };
  }
}

function newKeyPem(kind: KeyKind): string {
  const pair =
    kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
