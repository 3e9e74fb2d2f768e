// The broker's guarantees against a real mosquitto: only certificates of the product CA get in, a host
// reaches only its own subtree, any host key type the CA issues for works, and no host can take over
// another host's session by client id.
import { generateKeyPairSync } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_SERVER_NAME, CONTROL_IDENTITY, hostTopic } from '../../src/contract/host-channel.js';
import { ProductCa } from '../../src/pki/ca.js';
import { createCsr, generateHostKey } from '../../src/pki/csr.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closed, collect, connectOutcome, until } from './support.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb?.stop();
});

describe('broker security', () => {
  it('refuses a client without a certificate', async () => {
    const c = mqtt.connect(tb.url, {
      protocolVersion: 5,
      clientId: 'h1',
      ca: tb.caPem,
      servername: BROKER_SERVER_NAME,
      reconnectPeriod: 0,
      connectTimeout: 4000,
    });
    c.on('error', () => undefined);
    expect(await connectOutcome(c)).toBe('refused');
    c.end(true);
  });

  it('refuses a certificate from another CA with the same host id', async () => {
    const other = await ProductCa.create();
    const creds = await other.issueClientCert('h1');
    const c = await tb.client('h1', { certPem: creds.certPem, keyPem: creds.keyPem });
    expect(await connectOutcome(c)).toBe('refused');
  });

  it("confines a host to its own subtree: it can neither publish on nor read another host's topics", async () => {
    const control = await tb.connect(CONTROL_IDENTITY);
    const controlSaw = collect(control);
    await control.subscribeAsync('edge-overlay/v1/#', { qos: 1 });
    const h1 = await tb.connect('h1');
    const h2 = await tb.connect('h2');
    const h1Saw = collect(h1);
    const h2Saw = collect(h2);
    // mosquitto 2.0 grants these subscriptions and checks read access per message on delivery
    await h1.subscribeAsync(
      [
        hostTopic('h2', 'commands'),
        'edge-overlay/v1/hosts/+/commands',
        'edge-overlay/#',
        hostTopic('h1', 'commands'),
      ],
      { qos: 1 },
    );
    await h2.subscribeAsync(hostTopic('h2', 'commands'), { qos: 1 });

    await expect(h1.publishAsync(hostTopic('h2', 'underlay'), 'forged-by-h1', { qos: 1 })).rejects.toThrow();
    await h1.publishAsync(hostTopic('h1', 'underlay'), 'h1-own', { qos: 1 });
    await control.publishAsync(hostTopic('h2', 'commands'), 'for-h2', { qos: 1 });
    await control.publishAsync(hostTopic('h1', 'commands'), 'for-h1', { qos: 1 });

    // barriers: the messages sent after the forbidden ones have arrived
    await until(controlSaw, (s) => s.endsWith('h1-own'));
    await until(h2Saw, (s) => s.endsWith('for-h2'));
    await until(h1Saw, (s) => s.endsWith('for-h1'));
    expect(controlSaw.filter((s) => s.includes('forged'))).toEqual([]);
    expect(h1Saw.filter((s) => s.includes('/h2/'))).toEqual([]);
    // its own messages only (one copy per matching subscription: MQTT 5 overlapping subscriptions)
    expect(new Set(h1Saw)).toEqual(
      new Set([`${hostTopic('h1', 'commands')} for-h1`, `${hostTopic('h1', 'underlay')} h1-own`]),
    );
  });

  it('accepts host certificates with Ed25519 and with P-256 keys, issued from the hosts own CSRs', async () => {
    const control = await tb.connect(CONTROL_IDENTITY);
    const saw = collect(control);
    await control.subscribeAsync('edge-overlay/v1/hosts/+/status', { qos: 1 });
    const keys = {
      'ed-host': generateHostKey().privateKeyPem,
      'p256-host': generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    for (const [hostId, keyPem] of Object.entries(keys)) {
      const { certPem } = await tb.ca.signHostCsr(await createCsr(hostId, keyPem), hostId);
      const c = await tb.connect(hostId, { certPem, keyPem });
      await c.publishAsync(hostTopic(hostId, 'status'), `hello-from-${hostId}`, { qos: 1 });
      await until(saw, (s) => s.endsWith(`hello-from-${hostId}`));
    }
  });

  it("does not let a host take over another host's session by client id", async () => {
    const h2 = await tb.connect('victim', { clean: false, sessionExpiryS: 300 });
    const h2Saw = collect(h2);
    await h2.subscribeAsync(hostTopic('victim', 'commands'), { qos: 1 });
    let victimClosed = false;
    h2.on('close', () => (victimClosed = true));
    // h1 presents the victim's client id; the broker uses h1's CN instead
    const attacker = await tb.connect('attacker', { clientId: 'victim', clean: false, sessionExpiryS: 300 });
    const attackerSaw = collect(attacker);
    const control = await tb.connect(CONTROL_IDENTITY);
    await control.publishAsync(hostTopic('victim', 'commands'), 'cmd-1', { qos: 1 });
    await until(h2Saw, (s) => s.endsWith('cmd-1'));
    expect(victimClosed).toBe(false);
    expect(attackerSaw).toEqual([]);
    await attacker.endAsync();
    await expect(closed(h2, 300)).rejects.toThrow(/still connected/);
  });
});
