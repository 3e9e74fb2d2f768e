// One `dev` per data dir: two control planes on one Temporal SQLite file, one CA and one broker store
// corrupt each other. A pid file says who holds the dir; a holder that is gone (crash, SIGKILL) is stale
// and taken over.
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'dev.pid';

/** The data dir is held by another live process. exitCode is the CLI's conflict (src/cli/errors.ts). */
export class DataDirInUseError extends Error {
  readonly exitCode = 4;
  readonly hint = 'stop that process first, or give this one its own --data-dir';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dataDir} is in use by another edge-overlay dev (pid ${pid})`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, which still means the dir is taken.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      const live = Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder);
      // A second EEXIST after removing a stale file: another start won the race for the dir.
      if (live || attempt > 0) throw new DataDirInUseError(dataDir, holder);
      await unlink(path).catch(() => undefined);
    }
  }
  return {
    async release() {
      const holder = await readFile(path, 'utf8').catch(() => '');
      if (Number.parseInt(holder, 10) === process.pid) await unlink(path).catch(() => undefined);
    },
  };
}
