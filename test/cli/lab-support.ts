// Shared by the lab CLI tests: every test lab gets a namespace prefix, a registry dir and a labs dir of its
// own (EDGE_OVERLAY_LAB_PREFIX / _REGISTRY, --labs-dir), so `lab down --all` in a test only touches the
// test's labs; the CLI runs as a process (`lab up` stays in the foreground and handles signals).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { processRunner, netnsList } from '../../src/net/index.js';

export const bin = join(import.meta.dirname, '..', '..', 'bin', 'edge-overlay.js');

export interface LabSandbox {
  prefix: string;
  labsDir: string;
  env: Record<string, string>;
  /** `edge-overlay lab <args> --labs-dir <dir>` to completion. */
  lab(
    args: string[],
    extraEnv?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `lab up …` in the background; resolves `ready` once it printed its env line. */
  up(args: string[], extraEnv?: Record<string, string>): Background;
  /** This sandbox's namespaces that exist now. */
  namespaces(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface Background {
  child: ResultPromise;
  output: () => string;
  ready: Promise<void>;
}

export function labSandbox(): LabSandbox {
  const prefix = `eot${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'eo-labcli-'));
  const labsDir = join(dir, 'labs');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    EDGE_OVERLAY_LAB_PREFIX: prefix,
    EDGE_OVERLAY_LAB_REGISTRY: join(dir, 'registry'),
  };
  const children: ResultPromise[] = [];
  const lab = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const r = await execa('node', [bin, 'lab', ...args, '--labs-dir', labsDir], {
      reject: false,
      extendEnv: false,
      env: { ...env, ...extraEnv },
      timeout: 120_000,
    });
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const up = (args: string[], extraEnv: Record<string, string> = {}): Background => {
    const child = execa('node', [bin, 'lab', 'up', ...args, '--labs-dir', labsDir], {
      reject: false,
      extendEnv: false,
      env: { ...env, ...extraEnv },
      all: true,
    });
    children.push(child);
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.all?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('export EDGE_OVERLAY_API_URL=')) resolve();
      });
      void child.then((r) => reject(new Error(`lab up exited ${r.exitCode} before it was up:\n${out}`)));
    });
    ready.catch(() => undefined); // a test that interrupts the start awaits the exit, not this
    return { child, output: () => out, ready };
  };
  const namespaces = async () => (await netnsList(processRunner)).filter((ns) => ns.startsWith(`${prefix}-`));
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => c.catch(() => undefined)));
    await lab(['down', '--all']);
    rmSync(dir, { recursive: true, force: true });
  };
  return { prefix, labsDir, env, lab, up, namespaces, cleanup };
}

/** A user error: one message line (plus indented hints), no stack frame. */
export function expectNoStack(stderr: string): void {
  if (/\n\s+at .+\(.*:\d+:\d+\)/.test(stderr) || /^\s+at /m.test(stderr))
    throw new Error(`stderr has a stack trace:\n${stderr}`);
}
