// The PKI helper process (CSR with the host's own key, made outside the agent so the agent never loads
// the X.509 library): its CSR is one the real CA signs for this host and this key; the key goes in on
// stdin only; a failure comes back as an error that does not quote the key.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCsrIsolated } from '../../../src/agent/identity/pki-helper.js';
import { ProductCa } from '../../../src/pki/ca.js';

const ed25519Pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('createCsrIsolated', () => {
  it('makes a CSR in a child process that the CA signs for this host and this key', async () => {
    const ca = await ProductCa.create({ commonName: 'helper test CA', validDays: 1 });
    const keyPem = ed25519Pem();
    const csr = await createCsrIsolated('edge-7', keyPem);
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    expect(csr).not.toContain('PRIVATE KEY');
    const { certPem } = await ca.signHostCsr(csr, 'edge-7');
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain('CN=edge-7');
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem))).toBe(true);
  }, 30_000);

  it('a key it cannot use is a clear error that never quotes the key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const err = await createCsrIsolated('edge-7', rsa).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/could not make a CSR: .*Ed25519/);
    expect((err as Error).message).not.toContain(rsa.split('\n')[1]!);
  }, 30_000);
});
