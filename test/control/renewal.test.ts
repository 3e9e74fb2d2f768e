// Certificate renewal over the host's own session: signed for the topic's host with its enrolled key
// only (real mosquitto, real CA, the real hostWorkflow's memo as the record of the enrolled key).
import { describe, expect, it } from 'vitest';
import { hostWorkflowId } from '../../src/domain/ids.js';
import type { HostRecord } from '../../src/domain/types.js';
import { type CertificateMessage, hostTopic } from '../../src/contract/host-channel.js';
import { certificateInfo, createCsr, generateHostKey } from '../../src/pki/csr.js';
import { type FakeHost, startFakeHost } from './support/fake-host.js';
import { useRelayHarness } from './support/harness.js';
import { uniqueHostId, waitUntil } from './support/wait.js';

const hid = uniqueHostId;

describe('host relay: certificate renewal', () => {
  const h = useRelayHarness();

  /** A host as enrollment leaves it: its workflow's record (and memo) carries its public key. */
  async function enrolledHost(): Promise<{
    host: FakeHost;
    keyPem: string;
    publicKey: string;
    serial: string;
  }> {
    const hostId = hid('renew');
    const { privateKeyPem, publicKey } = generateHostKey();
    const signed = await h.broker.ca.signHostCsr(await createCsr(hostId, privateKeyPem), hostId);
    const record: HostRecord = {
      hostId,
      underlayIp: '10.78.0.1',
      lastSeen: new Date().toISOString(),
      cluster: null,
      publicKey,
      certificateSerial: signed.serial,
    };
    await h.client.workflow.start('hostWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: hostWorkflowId(hostId),
      args: [{ hostId, record }],
      memo: { record },
    });
    const host = await startFakeHost(h.broker, hostId, {
      creds: { certPem: signed.certPem, keyPem: privateKeyPem },
    });
    return { host, keyPem: privateKeyPem, publicKey, serial: signed.serial };
  }

  async function answer(host: FakeHost): Promise<CertificateMessage> {
    const topic = hostTopic(host.hostId, 'certificate');
    const before = host.received.filter((m) => m.topic === topic).length;
    await waitUntil(
      () => host.received.filter((m) => m.topic === topic).length > before,
      10_000,
      'certificate',
    );
    return host.received.filter((m) => m.topic === topic).at(-1)!.payload as CertificateMessage;
  }

  it('renews with the same key: a new certificate for the topic host, and the hook learns its serial', async () => {
    const { host, keyPem, publicKey, serial } = await enrolledHost();
    const pending = answer(host);
    await host.publish('renew', { csr: await createCsr(host.hostId, keyPem) });
    const message = await pending;
    expect(message.ok).toBe(true);
    const info = certificateInfo((message as { certificate: string }).certificate);
    expect(info).toMatchObject({ subjectCn: host.hostId, publicKey });
    expect(info.serial).not.toBe(serial);
    await waitUntil(() => h.renewed.some((r) => r.hostId === host.hostId));
    expect(h.renewed.find((r) => r.hostId === host.hostId)).toMatchObject({ serial: info.serial, publicKey });
  });

  it('refuses a CSR with another key than the enrolled one', async () => {
    const { host } = await enrolledHost();
    const other = generateHostKey();
    const pending = answer(host);
    await host.publish('renew', { csr: await createCsr(host.hostId, other.privateKeyPem) });
    expect(await pending).toEqual({ ok: false, error: 'the CSR key differs from the enrolled key' });
    expect(h.renewed.some((r) => r.hostId === host.hostId)).toBe(false);
  });

  it('refuses a host without a host workflow, and a request that is no CSR', async () => {
    const stray = await startFakeHost(h.broker, hid('stray'));
    const strayKey = generateHostKey();
    let pending = answer(stray);
    await stray.publish('renew', { csr: await createCsr(stray.hostId, strayKey.privateKeyPem) });
    expect(await pending).toEqual({ ok: false, error: 'unknown or deleted host' });

    const { host } = await enrolledHost();
    pending = answer(host);
    await host.publish('renew', { csr: 'x'.repeat(200) });
    expect(await pending).toEqual({ ok: false, error: 'not a PEM PKCS#10 certificate request' });
    expect(h.control.relay!.stats().refused).toBe(3);
  });
});
