// The PKI directory the production worker and API share: first starts at once make ONE CA, a lock left by a
// dead process is taken over, a live one is waited for.
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductCa } from '../../src/pki/ca.js';
import { INIT_LOCK_FILE, openApiPki, openWorkerPki, withInitLock } from '../../src/serve/pki-dir.js';

const quiet = pino({ level: 'silent' });
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'eo-serve-pki-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('shared PKI directory', () => {
  it('worker and API starting together on an empty directory end up with one CA (files that match)', async () => {
    const dir = join(root, 'race');
    const opened = await Promise.all([
      openApiPki(dir),
      openWorkerPki(dir, quiet),
      openApiPki(dir),
      openWorkerPki(dir, quiet),
    ]);
    const cas = new Set(opened.map((o) => o.ca.certPem));
    expect(cas.size).toBe(1);
    const onDisk = await ProductCa.load(
      await readFile(join(dir, 'ca.crt'), 'utf8'),
      await readFile(join(dir, 'ca.key'), 'utf8'),
    );
    expect(onDisk.certPem).toBe([...cas][0]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'control.key'))).mode & 0o777).toBe(0o600);
    // the lock is gone once everyone is done
    await expect(stat(join(dir, INIT_LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock left by a process that died; waits for one that is held', async () => {
    const dir = join(root, 'locks');
    await withInitLock(dir, async () => undefined);
    const lock = join(dir, INIT_LOCK_FILE);
    await writeFile(lock, '');
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const started = Date.now();
    await withInitLock(dir, async () => undefined);
    expect(Date.now() - started).toBeLessThan(1000);

    await writeFile(lock, '');
    let ran = false;
    const waiting = withInitLock(dir, async () => {
      ran = true;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(ran).toBe(false);
    await rm(lock);
    await waiting;
    expect(ran).toBe(true);
  });
});
