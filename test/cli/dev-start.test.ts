// `edge-overlay dev` as a newcomer meets it: a taken port or a data dir in use fails at once with one line
// naming it (exit 4) before anything starts; a Temporal that exits early fails at once, not after 30 s; the
// output up to the banner has no webpack report; --json is JSON lines; Ctrl-C stops it with exit 0.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/dev/data-dir-lock.js';
import { freePort, PortInUseError } from '../../src/dev/process.js';
import { startTemporalDevServer } from '../../src/dev/temporal-server.js';
import { spawnCli } from './stub-api.js';

const root = mkdtempSync(join(tmpdir(), 'eo-dev-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A listener we hold on loopback, as another program would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, server };
}

const ports = async () => ({
  api: await freePort(),
  temporal: await freePort(),
  ui: await freePort(),
  broker: await freePort(),
});
type Ports = Awaited<ReturnType<typeof ports>>;

const devArgs = (p: Ports, dataDir: string) => [
  'dev',
  '--data-dir',
  dataDir,
  '--api-port',
  String(p.api),
  '--temporal-port',
  String(p.temporal),
  '--ui-port',
  String(p.ui),
  '--broker-port',
  String(p.broker),
];
const env = { EDGE_OVERLAY_TOKEN: '', EDGE_OVERLAY_LOG_LEVEL: 'info' };

describe('dev fails fast on what is taken', () => {
  it('a port held by another program: exit 4 naming the port and its flag, nothing started', async () => {
    const held = await holdPort();
    const dataDir = join(root, 'held');
    try {
      const p = { ...(await ports()), temporal: held.port };
      const cli = spawnCli(devArgs(p, dataDir), env);
      const result = await cli.child;
      expect(result.exitCode).toBe(4);
      expect(cli.stderr()).toBe(
        `edge-overlay: Temporal port ${held.port} on 127.0.0.1 is already in use (another process listens there)\n` +
          '  is another edge-overlay dev running? Stop it, or pass --temporal-port with a free port\n',
      );
      // Checked before the CA, the broker or Temporal: none of their files exist.
      expect(readdirSync(dataDir).sort()).toEqual(['api-token']);
    } finally {
      held.server.close();
    }
  });

  it('a Temporal dev server that exits (port taken after the check) fails at once with its reason', async () => {
    const held = await holdPort();
    const started = Date.now();
    try {
      const err = await startTemporalDevServer({
        port: held.port,
        headless: true,
        startTimeoutMs: 30_000,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^Temporal dev server exited with code \\d+ before it was ready: .*listen tcp 127\\.0\\.0\\.1:${held.port}: bind: address already in use$`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      held.server.close();
    }
  });

  it('one dev per data dir: a live holder refuses a second, a dead one is taken over', async () => {
    const dataDir = join(root, 'lock');
    const first = await lockDataDir(dataDir);
    // Our own pid counts as "another process" only through a different pid: write a live one (pid 1).
    await first.release();
    writeFileSync(join(dataDir, LOCK_FILE), '1\n');
    await expect(lockDataDir(dataDir)).rejects.toThrow(DataDirInUseError);
    writeFileSync(join(dataDir, LOCK_FILE), '999999999\n');
    const taken = await lockDataDir(dataDir);
    await taken.release();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});

describe('dev output', () => {
  it('--json: JSON lines, no webpack report before the banner; a second dev is refused; Ctrl-C exits 0', async () => {
    const p = await ports();
    const dataDir = join(root, 'quiet');
    const dev = spawnCli([...devArgs(p, dataDir), '--json'], env);
    try {
      await dev.until('the banner', (out) => out.includes('"event":"ready"'), 90_000);
      const lines = dev.stdout().trimEnd().split('\n');
      for (const line of lines) expect(() => JSON.parse(line), line.slice(0, 200)).not.toThrow();
      expect(dev.stdout()).not.toMatch(/webpack|modules by path|orphan modules|asset workflow-bundle/);
      const banner = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'ready');
      expect(banner).toMatchObject({
        event: 'ready',
        apiUrl: `http://127.0.0.1:${p.api}`,
        openapiUrl: `http://127.0.0.1:${p.api}/openapi.json`,
        temporal: `127.0.0.1:${p.temporal}`,
        tokenFile: join(dataDir, 'api-token'),
      });
      // The API description needs no token; requests are not logged at info.
      expect((await fetch(banner.openapiUrl)).status).toBe(200);
      expect((await fetch(`${banner.apiUrl}/v1/hosts`)).status).toBe(401);
      await new Promise((r) => setTimeout(r, 300));
      expect(dev.stdout()).not.toMatch(/incoming request|request completed/);

      // Run twice: the same data dir is refused first; another dir still meets the taken ports.
      const again = spawnCli(devArgs(p, dataDir), env);
      expect((await again.child).exitCode).toBe(4);
      expect(again.stderr()).toMatch(
        /^edge-overlay: data dir .* is in use by another edge-overlay dev \(pid \d+\)\n/,
      );
      const other = spawnCli(devArgs({ ...p, api: await freePort() }, join(root, 'other')), env);
      expect((await other.child).exitCode).toBe(4);
      expect(other.stderr()).toContain(`port ${p.broker} on 127.0.0.1 is already in use`);
      expect(other.stderr()).not.toMatch(/^\s+at /m);

      dev.child.kill('SIGINT');
      const result = await dev.child;
      expect(result.exitCode).toBe(0);
      expect(dev.stdout()).toMatch(/\n\{"event":"stopped","reason":"SIGINT"\}\n$/);
    } finally {
      dev.child.kill('SIGKILL');
    }
  }, 180_000); // the banner alone may take 90 s on a loaded machine (Temporal, bundling, broker, CA)
});
