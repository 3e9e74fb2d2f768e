// knock (src/net/knock.ts): a TCP SYN whose RST or SYN-ACK is the answer, from this process. On loopback in
// the test's own namespace, and from inside namespaces of its own (a link whose neighbours never
// answer; an address without a route), where probePeers knocks first and pings only the silent targets.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOCK_PORT } from '../../src/domain/constants.js';
import { createNetns, deleteNetns } from '../../src/lab/netns.js';
import { knock, knockAll, linkSetUp, processRunner } from '../../src/net/index.js';
import { notRoot } from '../helpers/netns-lab.js';

const run = promisify(execFile);
const HOST = new URL('./support/knock-host.ts', import.meta.url).pathname;

/** A loopback port nothing listens on (a server's, closed again). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('knock on loopback', () => {
  let server: Server;
  let resets = 0;
  beforeAll(async () => {
    server = createServer((c) =>
      c.on('error', () => {
        resets += 1;
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('a closed port answers with a RST: reachable', async () => {
    expect(await knock('127.0.0.1', await closedPort(), 300)).toBe(true);
  });

  it('a listening port answers with a SYN-ACK: reachable, and the connection is reset at once', async () => {
    const { port } = server.address() as { port: number };
    expect(await knockAll(['127.0.0.1', '127.0.0.1'], port, 300)).toEqual([true, true]);
    await expect.poll(() => resets, { timeout: 2000 }).toBe(2);
  });

  it('knocks a thousand targets KNOCK_PARALLEL at a time, one answer each, in order', async () => {
    const port = await closedPort();
    const targets = Array.from({ length: 1000 }, (_, i) => `127.1.${i >> 8}.${i & 255 || 1}`);
    const answers = await knockAll(targets, port, 1000);
    expect(answers).toHaveLength(1000);
    expect(answers.every(Boolean)).toBe(true);
  });

  it('refuses a target that is not an IPv4 address before any socket', () => {
    expect(() => knock('localhost', 80, 300)).toThrow();
    expect(() => knock('10.0.0.1; reboot', 80, 300)).toThrow();
  });
});

describe.skipIf(notRoot('knock (netns)'))('knock and probePeers inside a namespace', () => {
  const ns = `eo-knock-${randomBytes(3).toString('hex')}`;
  const inNs = async (...args: string[]) => {
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      HOST,
      ...args,
    ]);
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  };
  beforeAll(async () => {
    await createNetns(ns);
    await linkSetUp(processRunner, 'lo', ns);
    // A link whose neighbours never answer (a veth pair, both ends here, only one with an address): a SYN
    // to 10.77.0.2 waits for an ARP answer that nobody sends.
    await run('ip', ['-n', ns, 'link', 'add', 'kn0', 'type', 'veth', 'peer', 'name', 'kn1']);
    await run('ip', ['-n', ns, 'addr', 'add', '10.77.0.1/24', 'dev', 'kn0']);
    await linkSetUp(processRunner, 'kn0', ns);
    await linkSetUp(processRunner, 'kn1', ns);
  });
  afterAll(async () => {
    await deleteNetns(ns);
  });

  it('loopback answers; a silent neighbour and an address without a route do not, in time', async () => {
    const r = await inNs('knock', String(KNOCK_PORT), '127.0.0.1', '10.77.0.2', '10.255.0.1');
    expect(r.answered).toEqual([true, false, false]);
    expect(r.ms).toBeLessThan(1000); // all at once: one 300 ms timeout, not three
  });

  it('probePeers starts no process for a target that answered the knock, and pings the others', async () => {
    const r = await inNs('probe', '0', '127.0.0.1', '127.0.0.2', '10.255.0.1');
    expect(r.result).toMatchObject({ reachable: ['127.0.0.1', '127.0.0.2'], unreachable: ['10.255.0.1'] });
    // one quick echo, then the full three, for the silent one only
    expect(r.commands).toHaveLength(2);
    for (const c of r.commands) {
      expect(c).toContain('10.255.0.1');
      expect(c).not.toContain('127.0.0.');
    }
  });
});
