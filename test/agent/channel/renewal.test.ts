// Certificate renewal end to end: an identity enrolled over HTTP, its channel on the real broker, and a
// control side that signs renewal CSRs. The renewed certificate replaces the old one on disk and on the
// wire (the old one is revoked and the channel still gets in), and commands keep flowing.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentIdentity,
  identityPaths,
  loadOrEnroll,
  type Renewal,
  startRenewal,
} from '../../../src/agent/identity/index.js';
import { type CertificateMessage, hostTopic, type RenewRequest } from '../../../src/contract/host-channel.js';
import { type EnrollServer, startEnrollServer } from '../identity/enroll-server.js';
import { channelTestBed, log, until } from './support.js';

const bed = channelTestBed();
let api: EnrollServer;
let root: string;
const renewals: Renewal[] = [];
beforeAll(async () => {
  api = await startEnrollServer(bed.tb.ca, bed.tb.url);
  root = await mkdtemp(join(tmpdir(), 'eo-renewal-'));
});
afterAll(async () => {
  // hooks run as a stack: this one before the bed stops the channels and the broker
  await Promise.all(renewals.map((r) => r.stop()));
  await api?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function enrolled(hostId: string): Promise<AgentIdentity> {
  api.tokens.set(`token-${hostId}`, hostId);
  const stateDir = join(root, hostId);
  return loadOrEnroll({
    stateDir,
    hostId,
    apiUrl: api.url,
    joinToken: `token-${hostId}`,
    brokerUrl: bed.tb.url,
    log,
    retry: { attempts: 1 },
  });
}

/** The control plane's side: answers each renew request of `hostId` with what `answer` makes of it. */
function answerRenewals(hostId: string, answer: (csr: string, n: number) => Promise<CertificateMessage>) {
  let n = 0;
  bed.control.client.on('message', (topic, payload) => {
    if (topic !== hostTopic(hostId, 'renew')) return;
    const { csr } = JSON.parse(payload.toString()) as RenewRequest;
    void answer(csr, ++n).then((m) =>
      bed.control.client.publishAsync(hostTopic(hostId, 'certificate'), JSON.stringify(m), { qos: 1 }),
    );
  });
  return () => n;
}

/** Renew now once, then not again during the test. */
const onceNow = () => {
  let first = true;
  return (_notBefore: Date, notAfter: Date): Date => {
    if (!first) return notAfter;
    first = false;
    return new Date();
  };
};

describe('certificate renewal over the host channel', () => {
  it('swaps in the renewed certificate (same key), reconnects with it, and the channel keeps working', async () => {
    const identity = await enrolled('r1');
    const oldSerial = identity.serialNumber;
    answerRenewals('r1', async (csr) => ({
      ok: true,
      certificate: (await bed.tb.ca.signHostCsr(csr, 'r1')).certPem,
    }));
    const { ch, rec } = await bed.host('r1', { identity, stateDir: identityPaths(join(root, 'r1')).dir });
    const renewal = startRenewal({ identity, channel: ch, log, renewAt: onceNow() });
    renewals.push(renewal);

    await until('renewed', () => renewal.renewals() === 1);
    expect(identity.serialNumber).not.toBe(oldSerial);
    expect(await readFile(identityPaths(join(root, 'r1')).cert, 'utf8')).toBe(identity.certPem);
    await until('reconnected with it', () => ch.stats().connects === 2 && ch.connected());

    // the old certificate no longer gets in: the channel must be presenting the new one
    await bed.tb.revoke(oldSerial.toLowerCase());
    ch.reconnectNow();
    await until('connected again', () => ch.stats().connects === 3 && ch.connected());
    const sent = await bed.control.send('r1', { kind: 'preflight' });
    await until('result', () =>
      bed.control.of('r1', 'results').some((s) => (s.body as { id: string }).id === sent.id),
    );
    expect(rec.calls.map((c) => c.kind)).toEqual(['preflight']);
  });

  it('retries after a refusal and after a certificate that is not for its key; keeps the old one meanwhile', async () => {
    const identity = await enrolled('r2');
    const oldSerial = identity.serialNumber;
    const serialWhenAsked: string[] = [];
    const asked = answerRenewals('r2', async (csr, n) => {
      serialWhenAsked.push(identity.serialNumber);
      if (n === 1) return { ok: false, error: 'CA busy' };
      if (n === 2) return { ok: true, certificate: (await bed.tb.ca.issueClientCert('r2')).certPem }; // another key
      return { ok: true, certificate: (await bed.tb.ca.signHostCsr(csr, 'r2')).certPem };
    });
    const { ch } = await bed.host('r2', { identity, stateDir: identityPaths(join(root, 'r2')).dir });
    const renewal = startRenewal({ identity, channel: ch, log, renewAt: onceNow(), retryFirstMs: 50 });
    renewals.push(renewal);
    await until('renewed', () => renewal.renewals() === 1);
    expect(asked()).toBe(3);
    expect(serialWhenAsked).toEqual([oldSerial, oldSerial, oldSerial]);
    expect(identity.serialNumber).not.toBe(oldSerial);
    const requests = bed.control.of('r2', 'renew').map((s) => (s.body as RenewRequest).csr);
    expect(requests).toHaveLength(3);
    expect(requests.every((c) => c.includes('BEGIN CERTIFICATE REQUEST') && !c.includes('PRIVATE KEY'))).toBe(
      true,
    );
  });
});
