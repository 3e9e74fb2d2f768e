// The PKI directory the production worker and API share (a volume in docker-compose.yml): the product CA,
// the control certificate, the revocation and renewal lists. Both containers start together on an empty
// volume, and ProductCa.loadOrCreate checks then writes two files: two first starts at once could leave one
// process's key beside the other's certificate. So whatever creates files here runs under a lock file,
// created exclusively (O_EXCL works on one shared volume across containers).
import { chmod, mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadOrIssueControlCert, type ControlCertificate } from '../dev/control-identity.js';
import { RenewedCertificates } from '../dev/renewed-certificates.js';
import { ProductCa } from '../pki/ca.js';
import { Revocations } from '../pki/revocations.js';

export const INIT_LOCK_FILE = '.init.lock';
/** A lock older than this was left by a process that died while holding it (creating a CA takes ms). */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` holding `dir/.init.lock`; waits for another holder, takes over a stale lock. */
export async function withInitLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const lock = join(dir, INIT_LOCK_FILE);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await stat(lock).catch(() => null);
    if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(lock, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`${lock} is held by another process; remove it if none runs`);
    else await sleep(50 + Math.random() * 100);
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

export interface WorkerPki {
  ca: ProductCa;
  control: ControlCertificate;
  renewed: RenewedCertificates;
}

/** The worker's side: the CA (signs renewals), its control certificate (reissued as `dev` does: missing,
 * expiring, revoked or from another CA) and the renewal list it alone writes. */
export async function openWorkerPki(dir: string, log: Logger): Promise<WorkerPki> {
  return withInitLock(dir, async () => {
    const ca = await ProductCa.loadOrCreate(dir);
    // The API writes revoked.json; read here only so a revoked control certificate is replaced.
    const revocations = await Revocations.open(dir);
    const renewed = await RenewedCertificates.open(dir);
    const control = await loadOrIssueControlCert(dir, ca, { revoked: (s) => revocations.has(s) });
    log.info(
      { pkiDir: dir, serial: control.serial, notAfter: control.notAfter.toISOString() },
      control.issued ? `control certificate issued (${control.reason})` : 'control certificate reused',
    );
    return { ca, control, renewed };
  });
}

/** The API's side: the CA (enrollment, CRL, broker server certificate) and the revocation list it alone
 * writes. Renewals are the worker's: read afresh at each revocation (RenewedCertificates.open). */
export async function openApiPki(dir: string): Promise<{ ca: ProductCa; revocations: Revocations }> {
  return withInitLock(dir, async () => ({
    ca: await ProductCa.loadOrCreate(dir),
    revocations: await Revocations.open(dir),
  }));
}
