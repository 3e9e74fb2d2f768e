// The product CA without a broker: what it signs, what it refuses, and its files.
import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_SERVER_NAME, CONTROL_IDENTITY } from '../../src/contract/host-channel.js';
import { CsrRejectedError, ProductCa } from '../../src/pki/ca.js';
import { certificateInfo, createCsr, generateHostKey, keyMatchesCertificate } from '../../src/pki/csr.js';
import { x509 } from '../../src/pki/x509.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
let ca: ProductCa;
let dir: string;
beforeAll(async () => {
  ca = await ProductCa.create();
  dir = await mkdtemp(join(tmpdir(), 'edge-overlay-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => 'signed',
    (err: unknown) => (err instanceof CsrRejectedError ? err.reason : `other: ${String(err)}`),
  );

describe('ProductCa.signHostCsr', () => {
  it("issues a clientAuth certificate CN=hostId for the host's own Ed25519 key", async () => {
    const key = generateHostKey();
    const signed = await ca.signHostCsr(await createCsr('edge-1', key.privateKeyPem), 'edge-1', {
      validDays: 30,
    });
    expect(signed.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(signed.publicKey).toBe(key.publicKey);
    const info = certificateInfo(signed.certPem);
    expect(info).toMatchObject({ subjectCn: 'edge-1', serial: signed.serial, publicKey: key.publicKey });
    expect(info.notAfter.getTime()).toBe(signed.notAfter.getTime());
    expect(Math.round((info.notAfter.getTime() - Date.now()) / 86_400_000)).toBe(30);
    const cert = new X509Certificate(signed.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(cert.ca).toBe(false);
    expect(keyMatchesCertificate(key.privateKeyPem, signed.certPem)).toBe(true);
  });

  it('accepts a P-256 key too', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const signed = await ca.signHostCsr(await createCsr('edge-p', pem.toString()), 'edge-p');
    expect(certificateInfo(signed.certPem).subjectCn).toBe('edge-p');
  });

  it('rejects a CSR whose CN is another host, and an invalid host id', async () => {
    const csr = await createCsr('edge-1', generateHostKey().privateKeyPem);
    expect(await rejection(ca.signHostCsr(csr, 'edge-2'))).toBe('cn-mismatch');
    for (const bad of ['Edge-1', 'a/b', '+', CONTROL_IDENTITY]) {
      expect(await rejection(ca.signHostCsr(csr, bad))).toBe('invalid-host-id');
    }
  });

  it('rejects a tampered CSR (subject changed after signing) and garbage', async () => {
    const csr = await createCsr('edge-1', generateHostKey().privateKeyPem);
    const der = Buffer.from(csr.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('edge-1'));
    expect(at).toBeGreaterThan(0);
    der.write('edge-2', at); // same length: still parses, the signature no longer matches
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(await rejection(ca.signHostCsr(tampered, 'edge-2'))).toBe('bad-signature');
    expect(await rejection(ca.signHostCsr('not a csr', 'edge-1'))).toBe('unparseable');
  });

  it('rejects RSA keys and a subject with more than the CN', async () => {
    const alg = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    };
    const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
    const rsa = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ CN: ['edge-1'] }],
      keys,
      signingAlgorithm: alg,
    });
    expect(await rejection(ca.signHostCsr(rsa.toString('pem'), 'edge-1'))).toBe('unsupported-key');

    const ed = await webcrypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const extra = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ CN: ['edge-1'] }, { O: ['system:masters'] }],
      keys: ed as webcrypto.CryptoKeyPair,
      signingAlgorithm: { name: 'Ed25519' },
    });
    expect(await rejection(ca.signHostCsr(extra.toString('pem'), 'edge-1'))).toBe('cn-mismatch');
  });
});

describe('ProductCa certificates and CRL', () => {
  it('always puts the broker name, localhost and 127.0.0.1 in the server certificate', async () => {
    const { certPem } = await ca.issueServerCert({ dnsNames: ['broker.example'], ips: ['10.0.0.5'] });
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(
      [
        `DNS:${BROKER_SERVER_NAME}`,
        'DNS:localhost',
        'DNS:broker.example',
        'IP Address:127.0.0.1',
        'IP Address:10.0.0.5',
      ].sort(),
    );
    expect(cert.checkHost(BROKER_SERVER_NAME)).toBe(BROKER_SERVER_NAME);
  });

  it('issues client certificates for the control identity and refuses identities that could widen an ACL', async () => {
    const c = await ca.issueClientCert(CONTROL_IDENTITY, { keyType: 'p256' });
    expect(certificateInfo(c.certPem).subjectCn).toBe(CONTROL_IDENTITY);
    expect(ca.identityOf(c.serial)).toBe(CONTROL_IDENTITY);
    for (const bad of ['a/b', '#', 'h+1', ''])
      await expect(ca.issueClientCert(bad)).rejects.toThrow(/identity/);
  });

  it('signs a CRL that lists exactly the revoked serials', async () => {
    const a = await ca.issueClientCert('h-a');
    const crl = new x509.X509Crl(await ca.crlPem([a.serial, 'ABCDEF01']));
    expect(crl.entries.map((e) => e.serialNumber).sort()).toEqual([a.serial, 'abcdef01'].sort());
    expect(await crl.verify({ publicKey: new x509.X509Certificate(ca.certPem) })).toBe(true);
    expect(crl.nextUpdate!.getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
  });
});

describe('ProductCa files', () => {
  it('creates ca.crt and ca.key (0600) in a 0700 dir once, then loads the same CA', async () => {
    const caDir = join(dir, 'ca');
    const first = await ProductCa.loadOrCreate(caDir);
    expect((await stat(caDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(caDir, 'ca.key'))).mode & 0o777).toBe(0o600);
    const again = await ProductCa.loadOrCreate(caDir);
    expect(again.certPem).toBe(first.certPem);
    await unlink(join(caDir, 'ca.crt'));
    await expect(ProductCa.loadOrCreate(caDir)).rejects.toThrow(/only one of/);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const other = await ProductCa.create();
    await expect(ProductCa.load(ca.certPem, other.keyPem())).rejects.toThrow(/does not belong/);
  });
});
