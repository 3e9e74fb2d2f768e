// The revocation list on disk: survives a reopen, idempotent, atomic, never silently emptied.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductCa } from '../../src/pki/ca.js';
import { REVOKED_FILE, Revocations, writeCrlFile } from '../../src/pki/revocations.js';
import { x509 } from '../../src/pki/x509.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-overlay-revocations-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Revocations', () => {
  it('persists revoked serials with their identity, once each, and reads them back', async () => {
    const d = join(dir, 'a');
    const r = await Revocations.open(d);
    expect(r.list()).toEqual([]);
    await Promise.all([r.revoke('AA01', 'h1'), r.revoke('bb02', 'h2'), r.revoke('aa01', 'h1')]);
    expect(r.serials()).toEqual(['aa01', 'bb02']);
    expect((await stat(join(d, REVOKED_FILE))).mode & 0o777).toBe(0o600);
    const reopened = await Revocations.open(d);
    expect(reopened.list().map((e) => [e.serial, e.identity])).toEqual([
      ['aa01', 'h1'],
      ['bb02', 'h2'],
    ]);
    expect(reopened.has('BB02')).toBe(true);
  });

  it('refuses a corrupt file instead of forgetting revocations', async () => {
    const d = join(dir, 'b');
    await (await Revocations.open(d)).revoke('cc03', 'h3');
    await writeFile(join(d, REVOKED_FILE), '{"version":1,"revoked":[{"serial":"zz"}]}');
    await expect(Revocations.open(d)).rejects.toThrow(/not a valid revocation list/);
  });

  it('rejects a serial that is not hex', async () => {
    const r = await Revocations.open(join(dir, 'c'));
    await expect(r.revoke('../x', 'h1')).rejects.toThrow();
    expect(r.list()).toEqual([]);
  });

  it('writes a CRL file for the list', async () => {
    const ca = await ProductCa.create();
    const path = join(dir, 'crl.pem');
    await writeCrlFile(path, ca, ['dd04']);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    expect(new x509.X509Crl(text).entries.map((e) => e.serialNumber)).toEqual(['dd04']);
  });
});
