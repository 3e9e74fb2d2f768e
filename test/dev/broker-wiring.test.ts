// The pure parts of the dev broker wiring: certificate names, dial and advertised URLs, and the renewal
// list that lets a host deletion revoke renewed certificates too.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  advertisedBrokerUrl,
  advertisedHost,
  brokerServerNames,
  dialHost,
} from '../../src/dev/broker-addresses.js';
import { RENEWED_FILE, RenewedCertificates } from '../../src/dev/renewed-certificates.js';
import { brokerRevocations, UNKNOWN_IDENTITY } from '../../src/dev/revoker.js';

describe('broker addresses', () => {
  it('names configured addresses and hosts in the certificate, never a wildcard', () => {
    expect(brokerServerNames(['127.0.0.1', undefined, '0.0.0.0', '::'])).toEqual({
      dnsNames: [],
      ips: ['127.0.0.1'],
    });
    expect(brokerServerNames(['10.9.0.2', 'Control.Example', 'bad name!'])).toEqual({
      dnsNames: ['control.example'],
      ips: ['10.9.0.2'],
    });
  });

  it('dials loopback for a wildcard listen address', () => {
    expect(dialHost('0.0.0.0')).toBe('127.0.0.1');
    expect(dialHost('10.0.0.5')).toBe('10.0.0.5');
  });

  it('advertises the listen host by default, loopback for a wildcard, or what it is told', () => {
    expect(advertisedBrokerUrl('127.0.0.1', 8883)).toBe('mqtts://127.0.0.1:8883');
    expect(advertisedBrokerUrl('0.0.0.0', 18883)).toBe('mqtts://127.0.0.1:18883');
    expect(advertisedBrokerUrl('127.0.0.1', 40001, '10.99.0.254:8883')).toBe('mqtts://10.99.0.254:8883');
    expect(advertisedBrokerUrl('127.0.0.1', 40001, 'edge.example')).toBe('mqtts://edge.example:40001');
    expect(advertisedBrokerUrl('127.0.0.1', 40001, '[fd00::1]:8883')).toBe('mqtts://[fd00::1]:8883');
    expect(advertisedHost('10.99.0.254:8883')).toBe('10.99.0.254');
    expect(advertisedHost(undefined)).toBeUndefined();
  });

  it('refuses an advertised address that is no host', () => {
    for (const bad of ['mqtts://x:1', 'a b', '0.0.0.0', 'host:0', 'host:99999', 'x/y']) {
      expect(() => advertisedBrokerUrl('127.0.0.1', 8883, bad), bad).toThrow(/HOST or HOST:PORT/);
    }
  });
});

describe('RenewedCertificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eo-renewed-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('keeps renewals per host across a restart and forgets expired ones', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const later = (days: number) => new Date(now.getTime() + days * 86_400_000);
    const list = await RenewedCertificates.open(dir);
    await list.add({ serial: 'AA01', identity: 'h1', notAfter: later(90) }, now);
    await list.add({ serial: 'aa02', identity: 'h1', notAfter: later(1) }, now);
    await list.add({ serial: 'bb01', identity: 'h2', notAfter: later(90) }, now);
    const reopened = await RenewedCertificates.open(dir);
    expect(reopened.of('h1', now)).toEqual(['aa01', 'aa02']);
    expect(reopened.identityOf('BB01')).toBe('h2');
    expect(reopened.of('h1', later(2))).toEqual(['aa01']);
    await reopened.add({ serial: 'cc01', identity: 'h3', notAfter: later(90) }, later(2));
    const saved = JSON.parse(await readFile(join(dir, RENEWED_FILE), 'utf8'));
    expect(saved.renewed.map((e: { serial: string }) => e.serial)).toEqual(['aa01', 'bb01', 'cc01']);
  });

  it('refuses a corrupt file instead of forgetting what it held', async () => {
    await (await import('node:fs/promises')).writeFile(join(dir, RENEWED_FILE), '{"version":1}');
    await expect(RenewedCertificates.open(dir)).rejects.toThrow(/not a valid certificate list/);
  });
});

describe('brokerRevocations', () => {
  it('passes identities to the broker, and bare serials where the identity is unknown', () => {
    const at = '2030-01-01T00:00:00.000Z';
    expect(
      brokerRevocations([
        { serial: 'aa', identity: 'h1', revokedAt: at },
        { serial: 'bb', identity: UNKNOWN_IDENTITY, revokedAt: at },
      ]),
    ).toEqual([{ serial: 'aa', identity: 'h1' }, 'bb']);
  });
});
