// Certificate renewal over the host's own authenticated session (no join token): at about 2/3 of the
// certificate's life, with jitter so hosts enrolled together do not renew together (STYLE 2.15), the
// agent publishes a CSR for the SAME key on `renew` and takes the `certificate` answer. The answer must
// pass every identity check before it is written; then the channel reconnects presenting it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CertificateMessage } from '../../contract/host-channel.js';
import type { AgentIdentity } from './agent-identity.js';
import { createCsrIsolated } from './pki-helper.js';

/** What renewal needs from the host channel. */
export interface RenewalChannel {
  /** Publishes `{csr}` on the host's `renew` leaf (QoS 1; queued while disconnected). */
  requestRenewal(csr: string): Promise<void>;
  /** Every valid message on the host's `certificate` leaf; returns the unsubscribe function. */
  onCertificate(listener: (m: CertificateMessage) => void): () => void;
  /** Reconnects presenting the identity's current certificate. */
  reloadCertificate(): void;
}

export type RenewalIdentity = Pick<
  AgentIdentity,
  'hostId' | 'privateKeyPem' | 'notBefore' | 'notAfter' | 'serialNumber' | 'replaceCertificate'
>;

export interface RenewalOptions {
  identity: RenewalIdentity;
  channel: RenewalChannel;
  log: Logger;
  /** When to renew a certificate valid from notBefore to notAfter (default: renewalTime). */
  renewAt?: (notBefore: Date, notAfter: Date) => Date;
  /** How long one request waits for the control plane's answer. */
  answerTimeoutMs?: number;
  /** Backoff between failed tries: first, doubling up to max. */
  retryFirstMs?: number;
  retryMaxMs?: number;
}

export interface Renewal {
  /** Resolves once the loop has ended. */
  stop(): Promise<void>;
  /** Successful renewals so far (tests, logs). */
  renewals(): number;
}

/** The band of the lifetime renewal falls in: around 2/3, never the same moment for every host. */
export const RENEWAL_BAND = { from: 0.6, to: 0.75 } as const;

/** notBefore + lifetime × a random fraction in RENEWAL_BAND (`rand` injected for tests). */
export function renewalTime(notBefore: Date, notAfter: Date, rand: () => number = Math.random): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const fraction = RENEWAL_BAND.from + (RENEWAL_BAND.to - RENEWAL_BAND.from) * rand();
  return new Date(notBefore.getTime() + lifetime * fraction);
}

/** Node timers hold at most ~24.8 days: a longer wait is cut into pieces. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function sleepUntil(at: Date, signal: AbortSignal): Promise<void> {
  for (let left = at.getTime() - Date.now(); left > 0; left = at.getTime() - Date.now()) {
    await sleep(Math.min(left, MAX_TIMER_MS), undefined, { signal });
  }
}

export function startRenewal(o: RenewalOptions): Renewal {
  const log = o.log.child({ component: 'renewal' });
  const renewAt = o.renewAt ?? renewalTime;
  const abort = new AbortController();
  let done = 0;

  /** The next certificate message, or a timeout/stop; `cancel` removes every listener and timer. */
  const nextAnswer = (): { answer: Promise<CertificateMessage>; cancel: () => void } => {
    let cancel = () => {};
    const answer = new Promise<CertificateMessage>((resolve, reject) => {
      const onAbort = () => reject(new Error('stopped'));
      const timeoutMs = o.answerTimeoutMs ?? 30_000;
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const off = o.channel.onCertificate(resolve);
      abort.signal.addEventListener('abort', onAbort, { once: true });
      cancel = () => {
        clearTimeout(timer);
        off();
        abort.signal.removeEventListener('abort', onAbort);
      };
    });
    answer.catch(() => {}); // awaited below unless the request itself fails first
    return { answer, cancel };
  };

  const renewOnce = async (): Promise<void> => {
    // In the PKI helper process: the agent never loads the X.509 library (see pki-helper.ts).
    const csr = await createCsrIsolated(o.identity.hostId, o.identity.privateKeyPem);
    const { answer, cancel } = nextAnswer();
    try {
      await o.channel.requestRenewal(csr);
      const m = await answer;
      if (!m.ok) throw new Error(`the control plane refused: ${m.error}`);
      const facts = await o.identity.replaceCertificate(m.certificate);
      log.info(
        { serialNumber: facts.serialNumber, notAfter: facts.notAfter.toISOString() },
        'certificate renewed',
      );
    } finally {
      cancel();
    }
    o.channel.reloadCertificate();
    done++;
  };

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const at = renewAt(o.identity.notBefore, o.identity.notAfter);
      log.info(
        { renewAt: at.toISOString(), notAfter: o.identity.notAfter.toISOString() },
        'renewal scheduled',
      );
      await sleepUntil(at, abort.signal);
      let delay = o.retryFirstMs ?? 2000;
      for (;;) {
        try {
          await renewOnce();
          break;
        } catch (err) {
          if (abort.signal.aborted) return;
          const expired = Date.now() >= o.identity.notAfter.getTime();
          log[expired ? 'error' : 'warn'](
            { err: (err as Error).message, retryInMs: delay, expired },
            'renewal failed',
          );
          await sleep(delay, undefined, { signal: abort.signal });
          delay = Math.min(delay * 2, o.retryMaxMs ?? 5 * 60_000);
        }
      }
    }
  };

  const running = loop().catch((err) => {
    if (!abort.signal.aborted) log.error({ err: String(err) }, 'renewal loop ended');
  });
  return {
    async stop() {
      abort.abort();
      await running;
    },
    renewals: () => done,
  };
}
