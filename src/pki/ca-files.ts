// The CA's files in a data dir: ca.crt and ca.key (0600) in a 0700 dir, made once on first start.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../agent/state-file.js';
import type { Pem } from './ca.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );

/** Reads the pair, or makes one with `create` when neither file exists. Half a pair is an error: a new
 * CA would silently orphan every certificate the old one issued. */
export async function loadOrCreatePemFiles(dir: string, create: () => Promise<Pem>): Promise<Pem> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const [hasCert, hasKey] = await Promise.all([exists(certPath), exists(keyPath)]);
  if (hasCert && hasKey) {
    await chmod(keyPath, 0o600);
    return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') };
  }
  if (hasCert || hasKey) {
    throw new Error(
      `${dir} holds only one of ${CA_CERT_FILE} and ${CA_KEY_FILE}: restore the other or remove both`,
    );
  }
  const pem = await create();
  // key first: a crash in between leaves a key without a certificate, which the check above reports
  await writeFileAtomic(keyPath, pem.keyPem);
  await writeFileAtomic(certPath, pem.certPem);
  return pem;
}
