// The control certificate in the data dir: issued on first start, reused after, reissued when it expires
// within 7 days, was revoked, belongs to another CA or is unreadable; files 0600.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTROL_IDENTITY } from '../../src/contract/host-channel.js';
import {
  CONTROL_CERT_FILE,
  CONTROL_KEY_FILE,
  CONTROL_RENEW_BEFORE_MS,
  loadOrIssueControlCert,
} from '../../src/dev/control-identity.js';
import { ProductCa } from '../../src/pki/ca.js';

const DAY = 24 * 3600 * 1000;

describe('loadOrIssueControlCert', () => {
  let dir: string;
  let ca: ProductCa;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eo-ctl-'));
    ca = await ProductCa.loadOrCreate(dir);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('issues a CN=control.edge-overlay certificate on first start (0600 files) and reuses it after', async () => {
    const first = await loadOrIssueControlCert(dir, ca);
    expect(first.issued).toBe(true);
    expect(new X509Certificate(first.certPem).subject).toBe(`CN=${CONTROL_IDENTITY}`);
    expect(new X509Certificate(first.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    for (const f of [CONTROL_CERT_FILE, CONTROL_KEY_FILE]) {
      expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    }
    const again = await loadOrIssueControlCert(dir, await ProductCa.loadOrCreate(dir));
    expect(again.issued).toBe(false);
    expect(again.serial).toBe(first.serial);
    expect(again.keyPem).toBe(first.keyPem);
  });

  it('reissues when the certificate expires within 7 days, not before', async () => {
    const first = await loadOrIssueControlCert(dir, ca);
    const justOutside = new Date(first.notAfter.getTime() - CONTROL_RENEW_BEFORE_MS - DAY);
    expect((await loadOrIssueControlCert(dir, ca, { now: justOutside })).issued).toBe(false);
    const inside = new Date(first.notAfter.getTime() - CONTROL_RENEW_BEFORE_MS + DAY);
    const renewed = await loadOrIssueControlCert(dir, ca, { now: inside });
    expect(renewed).toMatchObject({ issued: true, reason: 'expires soon' });
    expect(renewed.serial).not.toBe(first.serial);
  });

  it('reissues a revoked certificate', async () => {
    const first = await loadOrIssueControlCert(dir, ca);
    const next = await loadOrIssueControlCert(dir, ca, { revoked: (s) => s === first.serial });
    expect(next).toMatchObject({ issued: true, reason: 'revoked' });
  });

  it('reissues a certificate from another CA', async () => {
    await loadOrIssueControlCert(dir, await ProductCa.create());
    const next = await loadOrIssueControlCert(dir, ca);
    expect(next).toMatchObject({ issued: true, reason: 'not issued by this CA' });
    expect(new X509Certificate(next.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('reissues unreadable files, and a key that does not match the certificate', async () => {
    await loadOrIssueControlCert(dir, ca);
    await writeFile(join(dir, CONTROL_CERT_FILE), 'not a certificate');
    expect((await loadOrIssueControlCert(dir, ca)).reason).toMatch(/^unreadable/);
    const other = await ca.issueClientCert(CONTROL_IDENTITY);
    await writeFile(join(dir, CONTROL_KEY_FILE), other.keyPem);
    expect((await loadOrIssueControlCert(dir, ca)).reason).toBe('key does not match');
  });
});
