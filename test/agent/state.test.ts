// The agent's state file on a real filesystem (no root needed): an unusable file is set aside with a
// warning and the agent starts empty; writes are atomic, 0600, never through a planted file or symlink;
// a failed write rejects the call that needed it; writes stay serialized.
import { HostError } from '../../src/domain/host-error.js';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_WRITE_FAILED, StateStore, stateFileName } from '../../src/agent/state.js';
import { writeFileAtomic } from '../../src/agent/state-file.js';
import { testSpec } from '../fixtures/overlay-spec.js';

const spec = testSpec({ clusterName: 'state' });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'eo-state-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A logger whose records land in `lines` (level 30 info, 40 warn, 50 error). */
function capture() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

const validState = (hostId = 'h1') =>
  JSON.stringify({
    version: 1,
    hostId,
    overlay: { spec, overlayIp: '100.64.192.10' },
    peers: [{ hostId: 'h2', underlayIp: '10.0.0.2', overlayIp: '100.64.192.11' }],
    vipHeld: true,
    updatedAt: new Date().toISOString(),
  });
const asideFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(`${stateFileName}.corrupt-`));

describe('state file: unusable files are set aside, the agent starts empty', () => {
  const full = validState();
  it.each([
    ['zero bytes', ''],
    ['a truncated document', full.slice(0, Math.floor(full.length / 2))],
    ['garbage', '\u0000\u0001 not json at all'],
    ['valid JSON of the wrong shape', '{"version":2,"hostId":"h1"}'],
    ['the state of another host', validState('h9')],
  ])('%s: warned, moved aside with its content, empty state', async (_what, content) => {
    const dir = tempDir();
    const path = join(dir, stateFileName);
    writeFileSync(path, content);
    const { log, lines } = capture();
    const state = await new StateStore(dir, 'h1', log).load();
    expect(state).toMatchObject({ hostId: 'h1', overlay: null, peers: [], vipHeld: false });
    expect(existsSync(path)).toBe(false);
    const aside = asideFiles(dir);
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(content);
    const warn = lines.find((l) => l.level === 40 && /state file unusable/.test(l.msg));
    expect(warn).toMatchObject({ path, movedTo: join(dir, aside[0]!) });
  });

  it('a symlink at the state path is not followed: set aside, its target untouched', async () => {
    const dir = tempDir();
    const victim = join(tempDir(), 'victim.json');
    const original = validState();
    writeFileSync(victim, original);
    symlinkSync(victim, join(dir, stateFileName));
    const { log } = capture();
    const store = new StateStore(dir, 'h1', log);
    expect((await store.load()).overlay).toBeNull();
    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' });
    expect(readFileSync(victim, 'utf8')).toBe(original);
    expect(lstatSync(join(dir, stateFileName)).isFile()).toBe(true);
    expect(asideFiles(dir)).toHaveLength(1);
  });

  it('a missing file is an empty state without a warning; a valid one round-trips', async () => {
    const dir = join(tempDir(), 'nested', 'state');
    const { log, lines } = capture();
    const store = new StateStore(dir, 'h1', log);
    expect((await store.load()).overlay).toBeNull();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' });
    await store.vipChanged(spec, true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    const again = await new StateStore(dir, 'h1', log).load();
    expect(again).toMatchObject({ overlay: { spec, overlayIp: '100.64.192.10' }, vipHeld: true });
  });

  it('temp files left by an interrupted write are removed at load', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, `.${stateFileName}.0123abcd.tmp`), '{"half":');
    await new StateStore(dir, 'h1', capture().log).load();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('state file: atomic, exclusive writes', () => {
  it('an existing file or symlink at the temp path fails the write and is never written through', async () => {
    const dir = tempDir();
    const path = join(dir, stateFileName);
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'precious');
    writeFileSync(path, 'old state');
    for (const plant of ['symlink', 'file'] as const) {
      const tmp = join(dir, `planted-${plant}`);
      if (plant === 'symlink') symlinkSync(victim, tmp);
      else writeFileSync(tmp, 'someone else');
      const err = await writeFileAtomic(path, 'new state', { tempName: () => `planted-${plant}` }).catch(
        (e: NodeJS.ErrnoException) => e,
      );
      expect((err as NodeJS.ErrnoException).code).toBe('EEXIST');
      expect(readFileSync(victim, 'utf8')).toBe('precious');
      expect(readFileSync(path, 'utf8')).toBe('old state');
      expect(existsSync(tmp)).toBe(true); // not ours: left alone
    }
  });

  it('random temp names: symlinks planted at guessable names stay untouched, no temp file remains', async () => {
    const dir = tempDir();
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'precious');
    const guesses = [`${stateFileName}.${process.pid}.tmp`, `${stateFileName}.tmp`, `.${stateFileName}.tmp`];
    for (const g of guesses) symlinkSync(victim, join(dir, g));
    const store = new StateStore(dir, 'h1', capture().log);
    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readdirSync(dir).sort()).toEqual([...guesses, stateFileName].sort());
  });

  it('concurrent updates are written one at a time; the file ends with the last state', async () => {
    const dir = tempDir();
    const store = new StateStore(dir, 'h1', capture().log);
    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' });
    const tables = Array.from({ length: 30 }, (_, i) => [
      { hostId: 'h2', underlayIp: `10.0.0.${i + 1}`, overlayIp: '100.64.192.11' },
    ]);
    await Promise.all(tables.map((t) => store.peersSet(spec, t)));
    expect(JSON.parse(readFileSync(store.path, 'utf8')).peers).toEqual(tables.at(-1));
    expect(readdirSync(dir)).toEqual([stateFileName]);
  });
});

describe('state file: a failed write fails the call', () => {
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).type).toBe(STATE_WRITE_FAILED);
    expect((err as HostError).nonRetryable).toBe(false);
  };

  it('state dir replaced by a file: every memory call rejects, and writing works again once it is back', async () => {
    const dir = tempDir();
    const { log, lines } = capture();
    const store = new StateStore(dir, 'h1', log);
    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' });
    renameSync(dir, `${dir}.bak`);
    dirs.push(`${dir}.bak`);
    writeFileSync(dir, 'not a directory');
    await failure(store.overlayApplied({ spec, overlayIp: '100.64.192.12' }));
    await failure(store.peersSet(spec, []));
    await failure(store.vipChanged(spec, true));
    await failure(store.tornDown());
    expect(lines.some((l) => l.level === 50 && l.msg === 'state file write failed')).toBe(true);
    rmSync(dir);
    renameSync(`${dir}.bak`, dir);
    await store.overlayApplied({ spec, overlayIp: '100.64.192.13' });
    expect(JSON.parse(readFileSync(store.path, 'utf8')).overlay.overlayIp).toBe('100.64.192.13');
  });

  it('a directory where the state file belongs: the write rejects, the temp file is cleaned up', async () => {
    const dir = tempDir();
    const store = new StateStore(dir, 'h1', capture().log);
    mkdirSync(join(store.path, 'x'), { recursive: true });
    await failure(store.overlayApplied({ spec, overlayIp: '100.64.192.10' }));
    expect(readdirSync(dir)).toEqual([stateFileName]);
  });
});
