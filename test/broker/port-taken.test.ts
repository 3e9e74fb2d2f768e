// startBroker on a fixed port must never take another process's listener for its own mosquitto: a port
// already held is refused before anything is spawned, and readiness needs mosquitto's own word that its
// listeners are bound (an answer on the port alone is not enough).
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/mosquitto.js';
import { assertPortFree, freePort } from '../../src/dev/process.js';
import { ProductCa } from '../../src/pki/ca.js';

const quiet = pino({ level: 'silent' });
let dir: string;
let ca: ProductCa;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eo-port-taken-'));
  ca = await ProductCa.create({ validDays: 1 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });

describe('startBroker on a fixed port', () => {
  it('refuses at once when another process already listens there, and leaves that listener alone', async () => {
    const port = await freePort();
    const other = await listen(port);
    try {
      const started = Date.now();
      await expect(startBroker({ dir: join(dir, 'a'), port, ca, log: quiet })).rejects.toThrow(
        new RegExp(`broker port ${port} on 127.0.0.1 is already in use`),
      );
      expect(Date.now() - started).toBeLessThan(2000);
      expect(other.listening).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it('is not ready while only something else answers on the port (no "running" from mosquitto)', async () => {
    // A stand-in binary that binds the configured listener but never says mosquitto runs: the old
    // readiness probe (a TCP connect) took it for a started broker.
    const fake = join(dir, 'fake-mosquitto');
    await writeFile(
      fake,
      [
        '#!/bin/sh',
        // "-c CONF": listen where the config says, say nothing
        `exec node -e "const t=require('fs').readFileSync(process.argv[1],'utf8');const [,p,h]=/^listener (\\d+) (\\S+)/m.exec(t);require('net').createServer(s=>s.destroy()).listen(+p,h)" "$2"`,
        '',
      ].join('\n'),
    );
    await chmod(fake, 0o755);
    const port = await freePort();
    await expect(
      startBroker({ dir: join(dir, 'b'), port, ca, log: quiet, binary: fake, startTimeoutMs: 1500 }),
    ).rejects.toThrow(/timed out .* mosquitto/);
    // and the stand-in was stopped: the port is free again
    await expect(assertPortFree('test', '127.0.0.1', port)).resolves.toBeUndefined();
  });

  it('still starts a real mosquitto on a free fixed port', async () => {
    const port = await freePort();
    const broker = await startBroker({ dir: join(dir, 'c'), port, ca, log: quiet });
    try {
      expect(broker.port).toBe(port);
      expect(await broker.healthy()).toBe(true);
    } finally {
      await broker.stop();
    }
  });
});
