// The broker directory as a production control plane writes it for the eclipse-mosquitto container.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBrokerFiles } from '../../src/broker/files.js';
import { ProductCa } from '../../src/pki/ca.js';
import { x509 } from '../../src/pki/x509.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-overlay-broker-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeBrokerFiles', () => {
  it('writes 0600 files and a config that names them where the container mounts them', async () => {
    const ca = await ProductCa.create();
    const out = join(dir, 'broker');
    const { confPath, files } = await writeBrokerFiles({
      dir: out,
      ca,
      host: '0.0.0.0',
      port: 8883,
      revokedSerials: ['ab12'],
      persistenceDir: '/mosquitto/data',
      runAsRoot: true,
      pathsIn: '/mosquitto/config',
    });
    const conf = await readFile(confPath, 'utf8');
    expect(conf).toContain('listener 8883 0.0.0.0');
    expect(conf).toContain('keyfile /mosquitto/config/server.key');
    expect(conf).toContain('crlfile /mosquitto/config/crl.pem');
    expect(conf).toContain('persistence_location /mosquitto/data/');
    expect(conf).not.toContain(out);
    for (const f of [confPath, ...Object.values(files)]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect((await stat(out)).mode & 0o777).toBe(0o700);
    expect(await readFile(files.cafile, 'utf8')).toBe(ca.certPem);
    const crl = new x509.X509Crl(await readFile(files.crlfile, 'utf8'));
    expect(crl.entries.map((e) => e.serialNumber)).toEqual(['ab12']);
  });
});
