// `edge-overlay api` and `edge-overlay worker` with a port another process holds: exit 4 (README "Exit
// codes": a port in use is a conflict) and one line naming the flag, before Temporal is dialled (none
// listens at the address given here, so getting past the check would fail differently or hang).
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/errors.js';
import { freePort } from '../../src/dev/process.js';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'eo-serve-ports-'));
let held: Server;
let taken: number;
let env: Record<string, string>;

beforeAll(async () => {
  held = createServer();
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  taken = (held.address() as { port: number }).port;
  env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    EDGE_OVERLAY_TEMPORAL: `127.0.0.1:${await freePort()}`,
    EDGE_OVERLAY_PKI_DIR: join(dir, 'pki'),
    EDGE_OVERLAY_BROKER_URL: 'mqtts://127.0.0.1:8883',
    EDGE_OVERLAY_BROKER_ADVERTISE: 'mqtts://127.0.0.1:8883',
    EDGE_OVERLAY_BROKER_CONFIG_DIR: join(dir, 'broker'),
    EDGE_OVERLAY_TOKEN: 'serve-ports-token-0123456789',
  };
});
afterAll(async () => {
  await new Promise((resolve) => held?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) =>
  execa('node', [bin, ...args], { reject: false, extendEnv: false, env, timeout: 30_000 });

describe('a taken port', () => {
  it.each([
    [['api', '--port', 'TAKEN'], '--port: API'],
    [['api', '--port', 'FREE', '--metrics-port', 'TAKEN'], '--metrics-port: metrics'],
    [['worker', '--metrics-port', 'TAKEN'], '--metrics-port: metrics'],
    [['worker', '--temporal-metrics-port', 'TAKEN'], '--temporal-metrics-port: Temporal metrics'],
  ])('%j is exit 4 in one line naming the flag', async (args, what) => {
    const free = String(await freePort());
    const res = await run(args.map((a) => (a === 'TAKEN' ? String(taken) : a === 'FREE' ? free : a)));
    expect(res.exitCode, res.stderr).toBe(ExitCode.Conflict);
    expect(res.stderr).toBe(
      `edge-overlay: ${what} port ${taken} on 127.0.0.1 is already in use (another process listens there)`,
    );
    expect(res.stdout).toBe('');
  });
});
