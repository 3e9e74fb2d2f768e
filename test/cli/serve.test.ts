// The production commands end to end, as docker-compose.yml runs them but without Docker: `edge-overlay api`
// and `edge-overlay worker` as child processes started together on an empty PKI directory, reaching Temporal
// (the harness's dev server) through a mutual-TLS front, i.e. as a remote Temporal with the client
// certificate given by EDGE_OVERLAY_TEMPORAL_TLS_*; mosquitto started from the directory the API wrote, with
// compose's own CRL reloader script. A host enrolls through the API, reaches the broker it was told, is
// served by the worker's relay, and is cut off within 5 s of DELETE; /healthz follows the broker.
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from '../../src/clients/broker/connect.js';
import { certificateMessageSchema, hostTopic, membershipSchema } from '../../src/contract/host-channel.js';
import { freePort, waitFor } from '../../src/dev/process.js';
import { ProductCa } from '../../src/pki/ca.js';
import { createCsr } from '../../src/pki/csr.js';
import { x509 } from '../../src/pki/x509.js';
import { temporalAddress } from '../helpers/temporal.js';
import { type ApiCall, apiCaller, connectAs, enroll } from '../helpers/enroll-host.js';
import {
  type CliProcess,
  spawnCli,
  startComposeReloader,
  startMosquitto,
  type startMutualTlsFront,
  startRemoteTemporal,
} from './serve-support.js';

const token = randomBytes(24).toString('base64url');
const hid = (name: string) => `${name}-${randomUUID().slice(0, 6)}`;
const TEMPORAL_CLIENT_CN = 'temporal-client';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let call: ApiCall;
let brokerUrl: string;
let api: CliProcess;
let worker: CliProcess;
let front: Awaited<ReturnType<typeof startMutualTlsFront>>;
let mosquitto: Awaited<ReturnType<typeof startMosquitto>> | undefined;
let reloader: ReturnType<typeof startComposeReloader> | undefined;
const clients: MqttClient[] = [];
const pkiDir = () => join(dir, 'pki');
const configDir = () => join(dir, 'broker-config');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-serve-'));
  const apiPort = await freePort();
  const brokerPort = await freePort();
  call = apiCaller(`http://127.0.0.1:${apiPort}`, token);
  brokerUrl = `mqtts://127.0.0.1:${brokerPort}`;
  const remote = await startRemoteTemporal(dir, temporalAddress(), TEMPORAL_CLIENT_CN);
  front = remote.front;
  const tlsEnv = remote.env;
  const env = {
    EDGE_OVERLAY_LOG_FORMAT: 'json',
    EDGE_OVERLAY_TEMPORAL: `127.0.0.1:${front.port}`,
    EDGE_OVERLAY_PKI_DIR: pkiDir(),
    EDGE_OVERLAY_BROKER_URL: brokerUrl,
    ...tlsEnv,
  };
  // both at once on an empty PKI directory, as `docker compose up` starts them
  api = spawnCli(
    [
      'api',
      '--host',
      '127.0.0.1',
      '--port',
      String(apiPort),
      '--broker-advertise',
      brokerUrl,
      '--broker-config-dir',
      configDir(),
      // outside a container the broker sees the same paths; it listens on loopback here
      '--broker-listen',
      `127.0.0.1:${brokerPort}`,
      '--broker-config-path-in',
      configDir(),
      '--broker-data-path-in',
      join(dir, 'broker-data'),
    ],
    { ...env, EDGE_OVERLAY_TOKEN: token },
  );
  worker = spawnCli(['worker'], env);
  await waitFor(
    'the API to write the broker config',
    async () => existsSync(join(configDir(), 'mosquitto.conf')),
    {
      timeoutMs: 60_000,
    },
  );
  mosquitto = await startMosquitto(join(configDir(), 'mosquitto.conf'));
  reloader = startComposeReloader(configDir(), mosquitto.pid);
  await api.waitFor(/"msg":"API listening"/);
  await worker.waitFor(/"msg":"host relay subscribed"/, 120_000);
  await worker.waitFor(/"msg":"control worker running"/, 120_000);
}, 240_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await Promise.all([api?.stop(), worker?.stop()]);
  await reloader?.stop();
  await mosquitto?.stop();
  await front?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('edge-overlay api + worker (production commands)', () => {
  it('started together, they share one CA; Temporal is reached over mutual TLS only', async () => {
    const ca = await ProductCa.load(
      await readFile(join(pkiDir(), 'ca.crt'), 'utf8'),
      await readFile(join(pkiDir(), 'ca.key'), 'utf8'),
    );
    // the broker's server certificate (API) and the control certificate (worker) come from that CA
    for (const file of [join(configDir(), 'server.crt'), join(pkiDir(), 'control.crt')]) {
      const cert = new X509Certificate(await readFile(file));
      expect(cert.verify(new X509Certificate(ca.certPem).publicKey), file).toBe(true);
    }
    expect(await readFile(join(configDir(), 'ca.crt'), 'utf8')).toBe(ca.certPem);
    expect(front.peers.length).toBeGreaterThanOrEqual(3);
    expect(new Set(front.peers)).toEqual(new Set([TEMPORAL_CLIENT_CN]));
    const health = await call('GET', '/healthz', undefined, false);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
  });

  it('enrolls a host, relays for it, and cuts it off within 5 s of DELETE (CRL reloaded by the sidecar)', async () => {
    const host = await enroll(call, hid('prod'));
    const { hostId } = host;
    expect(host.broker).toBe(brokerUrl);

    const live = await connectAs(host, clients);
    // the worker's relay serves it: an underlay report reaches the host workflow, which announces membership
    const membership = new Promise<unknown>((resolve) =>
      live.on('message', (topic, payload) => {
        if (topic === hostTopic(hostId, 'membership'))
          resolve(membershipSchema.parse(JSON.parse(payload.toString())));
      }),
    );
    await live.subscribeAsync(hostTopic(hostId, 'membership'), { qos: 1 });
    await live.publishAsync(
      hostTopic(hostId, 'underlay'),
      JSON.stringify({ seq: 1, underlayIp: '10.213.9.2', underlayIface: 'eth0' }),
      { qos: 1, retain: true },
    );
    await expect(
      Promise.race([
        membership,
        new Promise((_r, reject) => setTimeout(() => reject(new Error('no membership')), 20_000)),
      ]),
    ).resolves.toMatchObject({ cluster: null });

    const dropped = new Promise<number>((resolve) => live.once('close', () => resolve(Date.now())));
    const started = Date.now();
    const del = await call('DELETE', `/v1/hosts/${hostId}`);
    expect(del.status, await del.clone().text()).toBe(202);
    const droppedAt = await Promise.race([
      dropped,
      new Promise<number>((r) => setTimeout(() => r(-1), 5000)),
    ]);
    expect(droppedAt, 'the live connection was not dropped within 5 s').toBeGreaterThan(0);
    expect(droppedAt - started).toBeLessThan(5000);
    // refused at the handshake: the broker re-read the CRL the API wrote (compose's reloader sent SIGHUP)
    await expect(connectAs(host, clients)).rejects.toThrow(/certificate revoked/);
    expect(Date.now() - started).toBeLessThan(5000 + 3000);
    const revoked = JSON.parse(await readFile(join(pkiDir(), 'revoked.json'), 'utf8'));
    expect(revoked.revoked).toContainEqual(expect.objectContaining({ identity: hostId }));
    expect(mosquitto!.output()).toMatch(/Reloading config/);
    // the API waited for the reload (its canary refused) before dropping the host's connection
    await api.waitFor(new RegExp(`"dropped":\\["${hostId}"\\],"outcome":"reloaded"`), 5000);
  });

  it("a certificate the worker renewed goes with its host: the API reads the worker's renewals", async () => {
    const host = await enroll(call, hid('ren'));
    const first = await connectAs(host, clients);
    const answer = new Promise<string>((resolve, reject) => {
      first.on('message', (topic, payload) => {
        if (topic !== hostTopic(host.hostId, 'certificate')) return;
        const m = certificateMessageSchema.parse(JSON.parse(payload.toString()));
        if (m.ok) resolve(m.certificate);
        else reject(new Error(m.error));
      });
    });
    await first.subscribeAsync(hostTopic(host.hostId, 'certificate'), { qos: 1 });
    // the underlay report makes the host's record with its enrolled key, which renewal checks the CSR against
    await first.publishAsync(
      hostTopic(host.hostId, 'underlay'),
      JSON.stringify({ seq: 1, underlayIp: '10.213.9.3', underlayIface: 'eth0' }),
      { qos: 1, retain: true },
    );
    const csr = await createCsr(host.hostId, host.keyPem);
    let renewedPem: string | undefined;
    // renewal waits for the record: ask again until the worker answers
    await waitFor(
      'a renewed certificate',
      async () => {
        await first.publishAsync(hostTopic(host.hostId, 'renew'), JSON.stringify({ csr }), { qos: 1 });
        renewedPem = await Promise.race([
          answer,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
        ]);
        return renewedPem !== undefined;
      },
      { timeoutMs: 20_000, intervalMs: 0 },
    );
    first.end(true);
    const renewed = { ...host, certPem: renewedPem! };
    const renewedSerial = new X509Certificate(renewed.certPem).serialNumber.toLowerCase();
    await waitFor('the worker to record the renewal', async () =>
      (await readFile(join(pkiDir(), 'renewed.json'), 'utf8').catch(() => '')).includes(renewedSerial),
    );
    const live = await connectAs(renewed, clients);
    const dropped = new Promise<void>((resolve) => live.once('close', () => resolve()));
    const del = await call('DELETE', `/v1/hosts/${host.hostId}`);
    expect(del.status, await del.clone().text()).toBe(202);
    const cut = await Promise.race([dropped.then(() => true), sleep(5000).then(() => false)]);
    expect(cut, 'the renewed certificate kept its connection').toBe(true);
    await expect(connectAs(renewed, clients)).rejects.toThrow(/certificate revoked/);
  });

  it('/healthz is 503 naming the broker once the broker stops', async () => {
    await mosquitto!.stop();
    let res: Response | undefined;
    await waitFor(
      '/healthz to fail',
      async () => {
        res = await call('GET', '/healthz', undefined, false);
        return res.status === 503;
      },
      { timeoutMs: 8000, intervalMs: 200 },
    );
    expect(res!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res!.json()) as { type: string; detail: string };
    expect(problem.type).toBe('urn:edge-overlay:problem:broker-unavailable');
    expect(problem.detail).toMatch(/broker/);
  });

  it('a host deleted while the broker is away is refused once the broker is back (CRL on disk)', async () => {
    const host = await enroll(call, hid('away'));
    const serial = new X509Certificate(host.certPem).serialNumber.toLowerCase();
    const del = await call('DELETE', `/v1/hosts/${host.hostId}`);
    expect(del.status, await del.clone().text()).toBe(202);
    const crl = new x509.X509Crl(await readFile(join(configDir(), 'crl.pem'), 'utf8'));
    expect(crl.entries.map((e) => e.serialNumber.toLowerCase())).toContain(serial);
    mosquitto = await startMosquitto(join(configDir(), 'mosquitto.conf'));
    await expect(connectAs(host, clients)).rejects.toThrow(/certificate revoked/);
    // and the broker is healthy again for the API
    await waitFor('/healthz to recover', async () => (await call('GET', '/healthz', undefined, false)).ok, {
      timeoutMs: 8000,
      intervalMs: 200,
    });
  });

  it('both stop cleanly on SIGTERM', async () => {
    const [apiCode, workerCode] = await Promise.all([api.stop(), worker.stop()]);
    expect(apiCode).toBe(0);
    expect(workerCode).toBe(0);
  });
});
