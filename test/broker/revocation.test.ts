// Revocation without a broker restart (issue 12 point 1): within 5 s the broker refuses a revoked
// certificate on new connections AND drops a connection of it that is already up; nobody else notices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_IDENTITY, hostTopic } from '../../src/contract/host-channel.js';
import { ProductCa } from '../../src/pki/ca.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closed, collect, connectOutcome, until } from './support.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb?.stop();
});

describe('revocation', () => {
  it('drops the live connection of a revoked certificate and refuses it afterwards, within 5 s', async () => {
    const pid = tb.broker.pid;
    const control = await tb.connect(CONTROL_IDENTITY);
    const bystander = await tb.connect('bystander');
    const revokedCreds = await tb.credentials('gone');
    // the host keeps trying to come back, as an agent does
    const gone = await tb.connect('gone', {
      ...revokedCreds,
      reconnectPeriodMs: 200,
      clean: false,
      sessionExpiryS: 600,
    });
    let reconnects = 0;
    gone.on('connect', () => reconnects++);
    const dropped = closed(gone, 5000);

    const start = Date.now();
    await tb.revoke(revokedCreds.serial);
    const droppedAfter = await dropped;
    expect(Date.now() - start).toBeLessThan(5000);

    const again = await tb.client('gone', { certPem: revokedCreds.certPem, keyPem: revokedCreds.keyPem });
    expect(await connectOutcome(again)).toBe('refused');
    expect(Date.now() - start).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 1000)); // several reconnect attempts of the dropped host
    expect(reconnects).toBe(0);

    // the same identity with a new certificate (re-enrolled) gets in; nobody else was disturbed
    const back = await tb.connect('gone');
    expect(back.connected).toBe(true);
    expect(control.connected && bystander.connected).toBe(true);
    const saw = collect(control);
    await control.subscribeAsync(hostTopic('bystander', 'status'), { qos: 1 });
    await bystander.publishAsync(hostTopic('bystander', 'status'), 'still-here', { qos: 1 });
    await until(saw, (s) => s.endsWith('still-here'));
    expect(tb.broker.pid).toBe(pid); // no restart
    process.stdout.write(`[revocation] live connection dropped after ${droppedAfter} ms\n`);
  });

  it('refuses a revoked certificate that was not connected', async () => {
    const creds = await tb.credentials('offline-host');
    const before = await tb.connect('offline-host', { certPem: creds.certPem, keyPem: creds.keyPem });
    await before.endAsync();
    await tb.revoke(creds.serial);
    const c = await tb.client('offline-host', { certPem: creds.certPem, keyPem: creds.keyPem });
    expect(await connectOutcome(c)).toBe('refused');
  });

  it('drops a live connection of a certificate another CA instance issued (the API), given its identity', async () => {
    const apiCa = await ProductCa.load(tb.ca.certPem, tb.ca.keyPem());
    const creds = await apiCa.issueClientCert('elsewhere');
    expect(tb.ca.identityOf(creds.serial)).toBeUndefined();
    const c = await tb.connect('elsewhere', { certPem: creds.certPem, keyPem: creds.keyPem });
    const dropped = closed(c, 5000);
    // what the API passes after a DELETE: the whole list, each entry with its identity
    const start = Date.now();
    await tb.broker.reloadRevocations([{ serial: creds.serial.toUpperCase(), identity: 'elsewhere' }]);
    await dropped;
    expect(Date.now() - start).toBeLessThan(5000);
  });
});
