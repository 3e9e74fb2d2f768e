// Enrollment with real crypto, real files and real HTTP: the key is made on the host and never sent,
// files are owner-only, a refused token is a clear error, and a certificate that is not this host's
// (other CN, other CA, other key) is never stored or used.
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identityPaths, IdentityError, loadOrEnroll } from '../../../src/agent/identity/index.js';
import { ProductCa } from '../../../src/pki/ca.js';
import { createCsr } from '../../../src/pki/csr.js';
import { type EnrollServer, startEnrollServer } from './enroll-server.js';

const log = pino({ level: 'silent' });
let ca: ProductCa;
let api: EnrollServer;
let root: string;
let stateDir: string;

beforeAll(async () => {
  ca = await ProductCa.create({ commonName: 'identity test CA', validDays: 1 });
  api = await startEnrollServer(ca);
  root = await mkdtemp(join(tmpdir(), 'eo-identity-'));
});
afterAll(async () => {
  await api?.close();
  if (root) await rm(root, { recursive: true, force: true });
});
let n = 0;
beforeEach(() => {
  stateDir = join(root, `state-${++n}`, 'agent'); // a dir that does not exist yet
  api.bodies.length = 0;
  api.answer = undefined;
});
afterEach(() => api.tokens.clear());

const enroll = (o: { hostId?: string; joinToken?: string; now?: () => Date } = {}) =>
  loadOrEnroll({ stateDir, hostId: o.hostId ?? 'h1', apiUrl: api.url, log, retry: { attempts: 1 }, ...o });
const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('loadOrEnroll', () => {
  it('enrolls with a join token: key made here (0600, never sent), dir 0700, certificate checked and stored', async () => {
    api.tokens.set('tok-1', 'h1');
    const id = await enroll({ joinToken: 'tok-1' });
    const paths = identityPaths(stateDir);

    expect(await mode(stateDir)).toBe(0o700);
    for (const f of [paths.key, paths.cert, paths.ca]) expect(await mode(f)).toBe(0o600);
    expect(await readFile(paths.key, 'utf8')).toBe(id.privateKeyPem);
    expect(await readFile(paths.cert, 'utf8')).toBe(id.certPem);
    expect(id.caPem).toBe(ca.certPem);
    expect(id.hostId).toBe('h1');
    expect(id.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(id.enrolledBrokerUrl).toBe('mqtts://broker.test:8883');
    expect(id.brokerUrl).toBe('mqtts://127.0.0.1:8883'); // DESIGN: the API's host, port 8883

    expect(api.bodies).toHaveLength(1);
    const body = JSON.parse(api.bodies[0]!) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['csr', 'hostId', 'joinToken']);
    expect(body['csr']).toContain('BEGIN CERTIFICATE REQUEST');
    const keyBody = id.privateKeyPem.replace(/-----[^-]+-----|\s/g, '');
    expect(api.bodies[0]).not.toContain('PRIVATE KEY');
    expect(api.bodies[0]).not.toContain(keyBody);
    expect(JSON.stringify(id)).not.toContain(keyBody); // what a logger would print
  });

  it('uses the stored certificate on the next start: no request, no token needed, same key', async () => {
    api.tokens.set('tok-2', 'h1');
    const first = await enroll({ joinToken: 'tok-2' });
    const again = await enroll();
    expect(api.bodies).toHaveLength(1);
    expect(again.privateKeyPem).toBe(first.privateKeyPem);
    expect(again.serialNumber).toBe(first.serialNumber);
    expect(again.publicKey).toBe(first.publicKey);
    expect(again.enrolledBrokerUrl).toBe('mqtts://broker.test:8883');
  });

  it('a refused token (401 problem+json) is a clear error; the key stays for the next try, nothing else is stored', async () => {
    const err = await enroll({ joinToken: 'no-such-token' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/enrollment refused: the join token is wrong, used or expired/);
    expect((err as Error).message).toMatch(/edge-overlay hosts join-token h1/);
    expect((err as Error).message).not.toContain('no-such-token');
    const paths = identityPaths(stateDir);
    const key = await readFile(paths.key, 'utf8');
    await expect(stat(paths.cert)).rejects.toThrow(/ENOENT/);

    api.tokens.set('tok-3', 'h1');
    const id = await enroll({ joinToken: 'tok-3' });
    expect(id.privateKeyPem).toBe(key);
  });

  it('a token issued for another host and a used token are refused', async () => {
    api.tokens.set('tok-4', 'h2');
    await expect(enroll({ joinToken: 'tok-4' })).rejects.toThrow(/issued for another host/);
    api.tokens.set('tok-5', 'h1');
    await enroll({ joinToken: 'tok-5' });
    await rm(identityPaths(stateDir).cert);
    await expect(enroll({ joinToken: 'tok-5' })).rejects.toThrow(/wrong, used or expired/);
  });

  it('no usable certificate and no join token: says what to do', async () => {
    await expect(enroll()).rejects.toThrow(IdentityError);
    await expect(enroll()).rejects.toThrow(/no join token: enroll with --join-token/);
  });

  it("refuses an answer that is not this host's: another CN, another CA, another key", async () => {
    const other = await ProductCa.create({ commonName: 'another CA' });
    const cases: [string, (r: { hostId: string; csr: string }) => Promise<string[]>][] = [
      ['for "h9"', async () => [(await ca.issueClientCert('h9')).certPem, ca.certPem]],
      ['not issued by the CA', async (r) => [(await other.signHostCsr(r.csr, r.hostId)).certPem, ca.certPem]],
      ["this host's private key", async () => [(await ca.issueClientCert('h1')).certPem, ca.certPem]],
    ];
    for (const [why, make] of cases) {
      api.tokens.set(`tok-${why}`, 'h1');
      api.answer = async (r) => {
        const [certificate, caCertificate] = await make(r);
        return { status: 200, body: { certificate, caCertificate, broker: 'mqtts://b:8883' } };
      };
      await expect(enroll({ joinToken: `tok-${why}` })).rejects.toThrow(why);
      await expect(stat(identityPaths(stateDir).cert)).rejects.toThrow(/ENOENT/);
    }
  });

  it('an expired stored certificate means enrolling again (with a new token), with the same key', async () => {
    const signFor = (days: number) => async (r: { hostId: string; csr: string }) => ({
      status: 200,
      body: {
        certificate: (await ca.signHostCsr(r.csr, r.hostId, { validDays: days })).certPem,
        caCertificate: ca.certPem,
        broker: 'b',
      },
    });
    api.tokens.set('tok-6', 'h1');
    api.answer = signFor(0.05); // about an hour
    const first = await enroll({ joinToken: 'tok-6' });
    const later = () => new Date(first.notAfter.getTime() + 1000);
    await expect(enroll({ now: later })).rejects.toThrow(/expired at/);
    api.tokens.set('tok-7', 'h1');
    api.answer = signFor(3);
    const renewed = await enroll({ joinToken: 'tok-7', now: later });
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(renewed.privateKeyPem).toBe(first.privateKeyPem);
  });

  it('refuses a state dir other users can write to, and tightens one they can only read', async () => {
    api.tokens.set('tok-8', 'h1');
    await enroll({ joinToken: 'tok-8' });
    await chmod(stateDir, 0o755);
    await enroll();
    expect(await mode(stateDir)).toBe(0o700);
    await chmod(stateDir, 0o777);
    await expect(enroll()).rejects.toThrow(/writable by other users/);
    await chmod(stateDir, 0o700);
  });
});

describe('AgentIdentity.replaceCertificate', () => {
  it('takes a renewed certificate for the same key and CN (written atomically), refuses any other', async () => {
    api.tokens.set('tok-9', 'h1');
    const id = await enroll({ joinToken: 'tok-9' });
    const before = id.serialNumber;
    await expect(id.replaceCertificate((await ca.issueClientCert('h1')).certPem)).rejects.toThrow(
      /private key/,
    );
    await expect(id.replaceCertificate((await ca.issueClientCert('h2')).certPem)).rejects.toThrow(
      /not for host "h1"/,
    );
    expect(id.serialNumber).toBe(before);

    const renewed = await ca.signHostCsr(await createCsr('h1', id.privateKeyPem), 'h1');
    await id.replaceCertificate(renewed.certPem);
    expect(id.serialNumber.toLowerCase()).toBe(renewed.serial);
    expect(await readFile(identityPaths(stateDir).cert, 'utf8')).toBe(renewed.certPem);
    expect(await mode(identityPaths(stateDir).cert)).toBe(0o600);
  });
});
