// Where the agent's identity lives in its state dir, and how it is read and written: the same primitives
// as the state file (no symlink followed, atomic 0600 writes), so a crash mid-write never leaves a
// half-written key or certificate, and a planted link never redirects one.
import { chmod, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensurePrivateDir, readStateFile, setAside, writeFileAtomic } from '../state-file.js';

export interface IdentityPaths {
  dir: string;
  /** PKCS#8 PEM, made on this host; never leaves it. */
  key: string;
  /** The host's certificate (CN = host id), PEM. */
  cert: string;
  /** The product CA the certificate chains to; the broker is verified against it. */
  ca: string;
  /** What the enrollment answered besides the certificates (the broker it named). */
  enrollment: string;
}

export const identityPaths = (stateDir: string): IdentityPaths => ({
  dir: stateDir,
  key: join(stateDir, 'host.key'),
  cert: join(stateDir, 'host.crt'),
  ca: join(stateDir, 'ca.crt'),
  enrollment: join(stateDir, 'enrollment.json'),
});

/**
 * Creates the state dir 0700. An existing dir others can write to is refused (they could swap the CA and
 * the certificate for their own); one they can only enter or list is tightened to 0700.
 */
export async function preparePrivateDir(dir: string, log: Logger): Promise<void> {
  const mode = await ensurePrivateDir(dir);
  if ((mode & 0o022) !== 0) {
    throw new Error(
      `state dir ${dir} is writable by other users (mode ${mode.toString(8)}): use a private dir`,
    );
  }
  if ((mode & 0o077) === 0) return;
  await chmod(dir, mode & 0o700);
  log.warn({ dir, mode: mode.toString(8) }, 'state dir was open to other users: set to owner-only');
}

/** The file's text, or null when it is missing; a file that cannot be read is set aside (logged). */
export async function readIdentityFile(path: string, log: Logger): Promise<string | null> {
  const read = await readStateFile(path);
  if (read.kind === 'text') return read.text;
  if (read.kind === 'unreadable') await setAsideUnusable(path, read.error, log);
  return null;
}

/** Moves an unusable file out of the way (kept for inspection, never silently deleted). */
export async function setAsideUnusable(path: string, reason: string, log: Logger): Promise<void> {
  const target = await setAside(path).catch(() => null);
  log.warn({ path, setAsideAs: target, reason }, 'identity file unusable: set aside');
}

/** Atomic owner-only write (the private key, and the certificates beside it). */
export const writeIdentityFile = (path: string, text: string): Promise<void> => writeFileAtomic(path, text);

/** A key file others may read is tightened to 0600 (e.g. restored from a backup with a loose mode). */
export async function tightenKeyFile(path: string, log: Logger): Promise<void> {
  const st = await lstat(path);
  if ((st.mode & 0o077) === 0) return;
  await chmod(path, 0o600);
  log.warn(
    { path, mode: (st.mode & 0o777).toString(8) },
    'private key file was readable by others: set to 0600',
  );
}
