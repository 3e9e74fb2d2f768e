// Persistent sessions (a QoS 1 command sent while the host is away is delivered when it is back, also
// across a broker restart with persistence) and the broker process lifecycle (stop leaves nothing).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/mosquitto.js';
import { connectBroker, type MqttClient } from '../../src/clients/broker/connect.js';
import { CONTROL_IDENTITY, hostTopic } from '../../src/contract/host-channel.js';
import { ProductCa } from '../../src/pki/ca.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { collect, until } from './support.js';

const quiet = pino({ level: 'silent' });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie (dead, waiting for init to reap it) answers signal 0 too
  return !/^\s*Z/.test(execaSync('ps', ['-o', 'stat=', '-p', String(pid)], { reject: false }).stdout);
};

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb?.stop();
});

describe('persistent sessions', () => {
  it('delivers a QoS 1 message published while the host was offline when it reconnects', async () => {
    const creds = await tb.credentials('h-away');
    const session = { certPem: creds.certPem, keyPem: creds.keyPem, clean: false, sessionExpiryS: 600 };
    const first = await tb.connect('h-away', session);
    await first.subscribeAsync(hostTopic('h-away', 'commands'), { qos: 1 });
    await first.endAsync();

    const control = await tb.connect(CONTROL_IDENTITY);
    await control.publishAsync(hostTopic('h-away', 'commands'), 'queued-while-away', { qos: 1 });

    const back = await tb.client('h-away', session);
    const saw = collect(back);
    await until(saw, (s) => s === `${hostTopic('h-away', 'commands')} queued-while-away`);
  });
});

describe('broker process', () => {
  it('keeps queued QoS 1 messages across a restart with persistence, and stop leaves no process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-overlay-broker-persist-'));
    const clients: MqttClient[] = [];
    const ca = await ProductCa.create();
    const open = (url: string, identity: string, creds: { certPem: string; keyPem: string }) => {
      const c = connectBroker({
        url,
        caPem: ca.certPem,
        ...creds,
        clientId: identity,
        clean: false,
        sessionExpiryS: 600,
        reconnectPeriodMs: 0,
      });
      clients.push(c);
      return c;
    };
    let pids: number[] = [];
    try {
      const host = await ca.issueClientCert('h-persist');
      const ctl = await ca.issueClientCert(CONTROL_IDENTITY);
      const b1 = await startBroker({ dir, port: 0, ca, persistence: true, log: quiet });
      pids.push(b1.pid);
      expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect(await b1.healthy()).toBe(true);
      const h = open(b1.url, 'h-persist', host);
      await new Promise((r) => h.once('connect', r));
      await h.subscribeAsync(hostTopic('h-persist', 'commands'), { qos: 1 });
      await h.endAsync();
      const control = open(b1.url, CONTROL_IDENTITY, ctl);
      await new Promise((r) => control.once('connect', r));
      await control.publishAsync(hostTopic('h-persist', 'commands'), 'survives-restart', { qos: 1 });
      await control.endAsync();
      await b1.stop();
      expect(alive(b1.pid)).toBe(false);
      expect(await b1.healthy()).toBe(false);

      const b2 = await startBroker({ dir, port: 0, ca, persistence: true, log: quiet });
      pids.push(b2.pid);
      const back = open(b2.url, 'h-persist', host);
      const saw = collect(back);
      await until(saw, (s) => s.endsWith('survives-restart'));
      await back.endAsync();
      await b2.stop();
      await b2.stop(); // idempotent
      expect(alive(b2.pid)).toBe(false);
      pids = [];
    } finally {
      for (const c of clients) c.end(true);
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['exit', 'throw'])('does not outlive a process that ends (%s) without stop()', async (how) => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-overlay-broker-exit-'));
    try {
      const fixture = new URL('./fixtures/exit-without-stop.ts', import.meta.url).pathname;
      const { stdout } = await execa('npx', ['tsx', fixture, dir, how], { reject: false });
      const pid = Number(stdout.trim().split('\n')[0]);
      expect(pid).toBeGreaterThan(0);
      const deadline = Date.now() + 3000;
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive(pid)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
