// The agent's identity at start (STYLE 2.14, after the kubelet's bootstrap): a valid certificate in the
// state dir is used as it is; otherwise the host enrolls with its join token. The key is made and written
// (0600) BEFORE the CSR is sent and reused on every later try, so a lost answer never strands a key
// the CA signed. The certificate the API returns is checked like any other: CN, key and CA.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_BROKER_PORT } from '../../contract/host-channel.js';
import { hostIdSchema } from '../../domain/validation.js';
import { keyKindOf, spkiBase64 } from '../../pki/keys.js';
import { AgentIdentity } from './agent-identity.js';
import {
  type CertificateFacts,
  checkHostCertificate,
  IdentityError,
  parsePrivateKey,
} from './certificate.js';
import { type EnrollAnswer, EnrollmentError } from './enroll.js';
import {
  type IdentityPaths,
  identityPaths,
  preparePrivateDir,
  readIdentityFile,
  setAsideUnusable,
  tightenKeyFile,
  writeIdentityFile,
} from './files.js';
import { enrollIsolated } from './pki-helper.js';

export interface EnrollRetry {
  /** Tries in all (default: until it works or `signal` aborts; the API may come up after the agent). */
  attempts?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export interface LoadOrEnrollOptions {
  stateDir: string;
  hostId: string;
  apiUrl: string;
  /** Needed only when the state dir holds no valid certificate. */
  joinToken?: string;
  /** The broker to use (the agent's --broker flag); default: the API's host on port 8883 (DESIGN.md). */
  brokerUrl?: string;
  log: Logger;
  retry?: EnrollRetry;
  signal?: AbortSignal;
  now?: () => Date;
}

/** `mqtts://<the API's host>:8883`: whatever address reaches the API reaches the broker (DESIGN.md). */
export function defaultBrokerUrl(apiUrl: string): string {
  return `mqtts://${new URL(apiUrl).hostname}:${DEFAULT_BROKER_PORT}`;
}

/** The host's key: the stored one, or a new one written before anything else happens. */
async function loadOrCreateKey(paths: IdentityPaths, log: Logger): Promise<{ pem: string; key: KeyObject }> {
  const stored = await readIdentityFile(paths.key, log);
  if (stored !== null) {
    try {
      const key = parsePrivateKey(stored);
      if (!keyKindOf(key)) throw new IdentityError('the private key is neither Ed25519 nor ECDSA P-256');
      await tightenKeyFile(paths.key, log);
      return { pem: stored, key };
    } catch (err) {
      await setAsideUnusable(paths.key, (err as Error).message, log);
    }
  }
  // node:crypto alone: the CSR (@peculiar/x509) is made in the PKI helper process, not here.
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeIdentityFile(paths.key, pem);
  log.info({ publicKey: spkiBase64(privateKey) }, 'made a new host key');
  return { pem, key: parsePrivateKey(pem) };
}

const enrollmentRecordSchema = z.object({ broker: z.string().nullable() });

/** The broker the enrollment named, if the record is there and readable (it is informational only). */
async function enrolledBroker(paths: IdentityPaths, log: Logger): Promise<string | null> {
  const text = await readIdentityFile(paths.enrollment, log);
  try {
    const record = enrollmentRecordSchema.safeParse(JSON.parse(text ?? 'null'));
    return record.success ? record.data.broker : null;
  } catch {
    return null;
  }
}

/** The stored certificate and CA when they still pass every check; null (and why) otherwise. */
async function storedCertificate(
  paths: IdentityPaths,
  hostId: string,
  privateKey: KeyObject,
  now: Date,
  log: Logger,
): Promise<{ certPem: string; caPem: string; facts: CertificateFacts } | { reason: string }> {
  const certPem = await readIdentityFile(paths.cert, log);
  const caPem = await readIdentityFile(paths.ca, log);
  if (certPem === null || caPem === null) return { reason: 'no certificate yet' };
  try {
    return { certPem, caPem, facts: checkHostCertificate({ certPem, caPem, hostId, privateKey, now }) };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** One helper run per try (CSR + POST in the helper process, see pki-helper.ts), same key every time. */
async function enrollWithRetry(
  o: LoadOrEnrollOptions,
  joinToken: string,
  privateKeyPem: string,
): Promise<EnrollAnswer> {
  const attempts = o.retry?.attempts ?? Number.POSITIVE_INFINITY;
  let delay = o.retry?.firstDelayMs ?? 500;
  const request = { apiUrl: o.apiUrl, hostId: o.hostId, joinToken, privateKeyPem };
  for (let attempt = 1; ; attempt++) {
    try {
      return await enrollIsolated(request, o.signal);
    } catch (err) {
      const retryable = err instanceof EnrollmentError && err.retryable;
      if (!retryable || attempt >= attempts) throw err;
      o.log.warn({ err: (err as Error).message, attempt, retryInMs: delay }, 'enrollment failed, retrying');
      await sleep(delay, undefined, { signal: o.signal });
      delay = Math.min(delay * 2, o.retry?.maxDelayMs ?? 30_000);
    }
  }
}

export async function loadOrEnroll(o: LoadOrEnrollOptions): Promise<AgentIdentity> {
  const hostId = hostIdSchema.parse(o.hostId);
  const log = o.log.child({ component: 'identity' });
  const now = (o.now ?? (() => new Date()))();
  const paths = identityPaths(o.stateDir);
  await preparePrivateDir(paths.dir, log);
  const key = await loadOrCreateKey(paths, log);
  const brokerUrl = o.brokerUrl ?? defaultBrokerUrl(o.apiUrl);
  const make = (
    c: { certPem: string; caPem: string; facts: CertificateFacts },
    enrolledBrokerUrl: string | null,
  ) =>
    new AgentIdentity({
      hostId,
      privateKey: key.key,
      privateKeyPem: key.pem,
      ...c,
      brokerUrl,
      enrolledBrokerUrl,
      paths,
    });

  const stored = await storedCertificate(paths, hostId, key.key, now, log);
  if ('certPem' in stored) {
    const identity = make(stored, await enrolledBroker(paths, log));
    log.info({ identity }, 'using the stored certificate');
    return identity;
  }
  if (!o.joinToken) {
    throw new IdentityError(
      `no usable certificate in ${paths.dir} (${stored.reason}) and no join token: enroll with --join-token (an admin makes one: edge-overlay hosts join-token ${hostId})`,
    );
  }
  log.info({ reason: stored.reason }, 'enrolling');
  const answer = await enrollWithRetry(o, o.joinToken, key.pem);
  let facts: CertificateFacts;
  try {
    const c = { certPem: answer.certificate, caPem: answer.caCertificate, hostId, privateKey: key.key, now };
    facts = checkHostCertificate(c);
  } catch (err) {
    throw new IdentityError(
      `enrollment answered a certificate this host cannot use: ${(err as Error).message}`,
    );
  }
  await writeIdentityFile(paths.ca, answer.caCertificate);
  await writeIdentityFile(paths.cert, answer.certificate);
  await writeIdentityFile(
    paths.enrollment,
    `${JSON.stringify({ broker: answer.broker, enrolledAt: now.toISOString() })}\n`,
  );
  const identity = make({ certPem: answer.certificate, caPem: answer.caCertificate, facts }, answer.broker);
  log.info({ identity }, 'enrolled');
  return identity;
}
