// File primitives of the agent's state file, kept apart from what the state means: a write never leaves
// a half-written file or follows a planted link, and an unusable file is set aside, never fatal.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Names of our temp files: hidden, random, and recognisable for cleanup after a crash. */
const tempPrefix = (path: string) => `.${basename(path)}.`;
const TEMP_SUFFIX = '.tmp';
const randomTempName = (path: string) =>
  `${tempPrefix(path)}${randomBytes(16).toString('hex')}${TEMP_SUFFIX}`;

export type StateRead =
  | { kind: 'missing' }
  | { kind: 'text'; text: string }
  | { kind: 'unreadable'; error: string };

/**
 * Creates the directory 0700; throws when the path is not a directory. An existing one is left as it is
 * (it may be shared, e.g. /tmp): returns its permission bits so the caller can warn when others may enter.
 */
export async function ensurePrivateDir(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  return st.mode & 0o7777;
}

/** Reads the file without following a symlink at its path (a link there is "unreadable", set aside). */
export async function readStateFile(path: string): Promise<StateRead> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    return { kind: 'text', text: await fh.readFile('utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', error: String(err) };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Renames an unusable file to `<name>.corrupt-<timestamp>` next to it; returns the new path. */
export async function setAside(path: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const target = `${path}.corrupt-${stamp}`;
  await rename(path, target);
  return target;
}

/** Deletes temp files a crash left behind (an unlink removes a symlink itself, never its target). */
export async function removeStaleTemps(path: string): Promise<number> {
  const prefix = tempPrefix(path);
  const names = (await readdir(dirname(path))).filter((n) => n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX));
  for (const n of names) await unlink(join(dirname(path), n)).catch(() => undefined);
  return names.length;
}

export interface AtomicWriteOptions {
  /** Temp file name inside the same directory (tests plant files there); random by default. */
  tempName?: (path: string) => string;
}

/**
 * Exclusive temp file (O_EXCL|O_NOFOLLOW, 0600: an existing file or symlink at that name fails the write,
 * nothing is written through it), write, fsync, rename over `path`, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string, o: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, (o.tempName ?? randomTempName)(path));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(tmp, flags, 0o600);
  let renamed = false;
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
    await syncDir(dir);
  } finally {
    // the temp file is ours (O_EXCL created it): never leave it behind
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
