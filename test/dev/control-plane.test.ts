// The dev control plane wired end to end (its own Temporal dev server, a real mosquitto, the control
// worker and the API over HTTP): a host enrolls through the API and reaches the broker it was told about,
// learns its cluster the moment the cluster claims it, is cut off within 5 s of DELETE /v1/hosts/:id;
// /healthz names the broker when it is down.
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from '../../src/clients/broker/connect.js';
import { certificateMessageSchema, hostTopic, membershipSchema } from '../../src/contract/host-channel.js';
import { type ControlPlane, startControlPlane } from '../../src/dev/control-plane.js';
import { freePort, waitFor } from '../../src/dev/process.js';
import { createCsr } from '../../src/pki/csr.js';
import { type ApiCall, apiCaller, connectAs, enroll } from '../helpers/enroll-host.js';
import { workflowBundle } from '../helpers/temporal.js';

const token = randomBytes(24).toString('base64url');
const log = pino({ level: process.env['DEV_TEST_LOG'] ?? 'silent' });
const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let plane: ControlPlane;
const clients: MqttClient[] = [];

// The admin API of the plane under test (its URL is known once beforeAll started it).
const api: ApiCall = (...args) => apiCaller(plane.apiUrl, token)(...args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-plane-'));
  plane = await startControlPlane({
    host: '127.0.0.1',
    apiPort: await freePort(),
    temporalPort: await freePort(),
    uiPort: await freePort(),
    brokerPort: 0,
    dataDir: join(dir, 'data'),
    namespace: 'default',
    token,
    log,
    workflowBundle: workflowBundle(),
  });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await plane?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('dev control plane', () => {
  it('/healthz says Temporal and the broker are up; the broker URL is what enrollment hands out', async () => {
    const res = await api('GET', '/healthz', undefined, false);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
    expect(plane.brokerUrl).toBe(`mqtts://127.0.0.1:${plane.broker.port}`);
    expect(await readFile(plane.caCertPath, 'utf8')).toBe(plane.caPem);
  });

  it('enrolls a host through the API: its certificate reaches the broker; DELETE cuts it off within 5 s', async () => {
    const host = await enroll(api, hid('enr'));
    expect(host.broker).toBe(plane.brokerUrl);
    expect(host.caPem).toBe(plane.caPem);
    expect(new X509Certificate(host.certPem).subject).toBe(`CN=${host.hostId}`);
    const live = await connectAs(host, clients);
    expect(live.connected).toBe(true);
    const dropped = new Promise<number>((resolve) => live.once('close', () => resolve(Date.now())));

    const started = Date.now();
    const del = await api('DELETE', `/v1/hosts/${host.hostId}`);
    expect(del.status, await del.clone().text()).toBe(202);
    const { revokedCertificateSerial } = (await del.json()) as { revokedCertificateSerial: string };
    expect(revokedCertificateSerial).toBe(new X509Certificate(host.certPem).serialNumber.toLowerCase());
    const droppedAt = await Promise.race([
      dropped,
      new Promise<number>((r) => setTimeout(() => r(-1), 5000)),
    ]);
    expect(droppedAt, 'the live connection was not dropped within 5 s').toBeGreaterThan(0);
    expect(droppedAt - started).toBeLessThan(5000);
    await expect(connectAs(host, clients)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000 + 3000);
    // the revocation is on disk, with the identity the broker needs to drop a live connection
    const revoked = JSON.parse(await readFile(join(plane.pkiDir, 'revoked.json'), 'utf8'));
    expect(revoked.revoked).toContainEqual(
      expect.objectContaining({ serial: revokedCertificateSerial, identity: host.hostId }),
    );
  });

  it('a certificate renewed over the broker stops working too when its host is deleted', async () => {
    const host = await enroll(api, hid('ren'));
    const first = await connectAs(host, clients);
    let relayed = false;
    const answer = new Promise<string>((resolve, reject) => {
      first.on('message', (topic, payload) => {
        if (topic === hostTopic(host.hostId, 'membership')) relayed = true;
        if (topic !== hostTopic(host.hostId, 'certificate')) return;
        const m = certificateMessageSchema.parse(JSON.parse(payload.toString()));
        if (m.ok) resolve(m.certificate);
        else reject(new Error(m.error));
      });
    });
    const leaves = ['certificate', 'membership'] as const;
    await first.subscribeAsync(
      leaves.map((l) => hostTopic(host.hostId, l)),
      { qos: 1 },
    );
    // as an agent does first: its underlay report makes the host's record (with the enrolled key), and
    // the control worker answers with the host's membership once the report reached the host workflow
    const report = { seq: 1, underlayIp: '10.213.7.2', underlayIface: 'eth0' };
    await first.publishAsync(hostTopic(host.hostId, 'underlay'), JSON.stringify(report), {
      qos: 1,
      retain: true,
    });
    await waitFor('the underlay report to be relayed', async () => relayed, { timeoutMs: 10_000 });
    const csr = await createCsr(host.hostId, host.keyPem);
    await first.publishAsync(hostTopic(host.hostId, 'renew'), JSON.stringify({ csr }), { qos: 1 });
    const renewed = { ...host, certPem: await answer };
    const renewedSerial = new X509Certificate(renewed.certPem).serialNumber.toLowerCase();
    expect(renewedSerial).not.toBe(new X509Certificate(host.certPem).serialNumber.toLowerCase());
    first.end(true);
    await waitFor('the renewal to be recorded', async () =>
      (await readFile(join(plane.pkiDir, 'renewed.json'), 'utf8').catch(() => '')).includes(renewedSerial),
    );
    const live = await connectAs(renewed, clients);
    const dropped = new Promise<void>((resolve) => live.once('close', () => resolve()));

    // DELETE hands back the serial recorded at enrollment; the renewed one must go with it
    const del = await api('DELETE', `/v1/hosts/${host.hostId}`);
    expect(del.status, await del.clone().text()).toBe(202);
    const cut = await Promise.race([dropped.then(() => true), sleep(5000).then(() => false)]);
    expect(cut, 'the renewed certificate kept its connection').toBe(true);
    await expect(connectAs(renewed, clients)).rejects.toThrow();
    await expect(connectAs(host, clients)).rejects.toThrow();
  });

  it('a host learns its cluster over the broker as soon as the cluster claims it', async () => {
    const host = await enroll(api, hid('mem'));
    const reg = await api('POST', '/v1/hosts/register', { hostId: host.hostId, underlayIp: '10.213.7.1' });
    expect(reg.status, await reg.clone().text()).toBe(200);
    const client = await connectAs(host, clients);
    const seen: Array<string | null> = [];
    client.on('message', (topic, payload) => {
      if (topic === hostTopic(host.hostId, 'membership')) {
        seen.push(membershipSchema.parse(JSON.parse(payload.toString())).cluster);
      }
    });
    await client.subscribeAsync(hostTopic(host.hostId, 'membership'), { qos: 1 });
    // the host reports nothing here: the announcement can only come from the claim
    const cluster = hid('c');
    const created = await api('POST', '/v1/clusters', {
      name: cluster,
      hosts: [{ hostId: host.hostId, role: 'control-plane' }],
    });
    expect(created.status, await created.clone().text()).toBe(202);
    await waitFor('the membership announcement', async () => seen.includes(cluster), { timeoutMs: 10_000 });
  });

  it('/healthz is a 503 problem naming the broker once the broker is down', async () => {
    await plane.broker.stop();
    let res: Response | undefined;
    await waitFor(
      '/healthz to fail',
      async () => {
        res = await api('GET', '/healthz', undefined, false);
        return res.status === 503;
      },
      { timeoutMs: 5000, intervalMs: 200 },
    );
    expect(res!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res!.json()) as { type: string; detail: string; status: number };
    expect(problem.status).toBe(503);
    expect(problem.detail).toMatch(/broker/);
    expect(problem.detail).not.toMatch(/Temporal/);
    expect(problem.type).toBe('urn:edge-overlay:problem:broker-unavailable');
  });
});
