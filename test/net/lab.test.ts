// Lab primitives: namespaces on one L2, real PIDs of processes in namespaces, and the control forwarder
// that carries TCP from a host namespace over the underlay to the root loopback.
import { execa } from 'execa';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDER_COMM, startControlForwarder } from '../../src/lab/control-forwarder.js';
import { isAlive, processComm, spawnInNetns, stopPid } from '../../src/lab/netns.js';
import { netnsList } from '../../src/net/index.js';
import { processRunner } from '../../src/net/runner.js';
import { createLab, notRoot, type Lab } from '../helpers/netns-lab.js';

describe.skipIf(notRoot('lab primitives'))('lab primitives', () => {
  let lab: Lab;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, control: true });
    server = createServer((s) => s.end('hello from root loopback\n'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await lab?.cleanup();
    server?.close();
  });

  it('puts hosts on one L2: h1 pings h2 over the underlay', async () => {
    const [h1, h2] = lab.hosts;
    const res = await execa(
      'ip',
      ['netns', 'exec', h1!.ns, 'ping', '-n', '-c', '1', '-W', '1', h2!.underlayIp],
      {
        reject: false,
      },
    );
    expect(res.exitCode).toBe(0);
  });

  it('records the real PID of a process started in a namespace and stops it by that PID', async () => {
    const proc = await spawnInNetns(lab.hosts[0]!.ns, 'sleep', ['300']);
    expect(processComm(proc.pid)).toBe('sleep');
    await stopPid(proc.pid, { expectComm: 'sleep', graceMs: 2000 });
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('forwards TCP from a host namespace through the control address to the root loopback', async () => {
    const fwd = await startControlForwarder({
      ctlNs: lab.ctl!.ns,
      ctlIp: lab.ctl!.ip,
      listenPort: 17233,
      targetPort: port,
    });
    lab.processes.push(...fwd.pids.map((pid) => ({ pid, expectComm: FORWARDER_COMM })));
    try {
      let out = '';
      for (let i = 0; i < 50 && !out; i++) {
        const res = await execa(
          'ip',
          ['netns', 'exec', lab.hosts[1]!.ns, 'socat', '-u', `TCP:${fwd.address}`, '-'],
          {
            reject: false,
            timeout: 3000,
          },
        );
        out = String(res.stdout);
        if (!out) await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toContain('hello from root loopback');
    } finally {
      await fwd.stop();
    }
  });

  it('the forwarder carries 20 connections opened at once both ways, and refuses new ones once stopped', async () => {
    // An echo server on the root loopback: what each client sends must come back through the forwarder.
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((ok) => echo.listen(0, '127.0.0.1', ok));
    const fwd = await startControlForwarder({
      ctlNs: lab.ctl!.ns,
      ctlIp: lab.ctl!.ip,
      listenPort: 17234,
      targetPort: (echo.address() as { port: number }).port,
    });
    lab.processes.push(...fwd.pids.map((pid) => ({ pid, expectComm: FORWARDER_COMM })));
    const client = (line: string) =>
      execa('ip', ['netns', 'exec', lab.hosts[1]!.ns, 'socat', '-t', '2', '-', `TCP:${fwd.address}`], {
        input: `${line}\n`,
        reject: false,
        timeout: 10_000,
      });
    try {
      expect(fwd.pids).toHaveLength(1); // one process, whatever the number of connections
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client(`echo ${i}`)));
      expect(answers.map((a) => String(a.stdout))).toEqual(answers.map((_, i) => `echo ${i}`));
      // socat -t 2 waits up to 2 s after its input ends; each exits once the echo came back and closed
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      await fwd.stop();
      echo.close();
    }
    expect(isAlive(fwd.pids[0]!)).toBe(false);
    const refused = await client('after stop');
    expect(refused.exitCode).not.toBe(0);
    expect(String(refused.stderr)).toMatch(/refused/i);
  });

  it('cleanup deletes every namespace of the lab and never throws', async () => {
    const names = () => netnsList(processRunner).then((l) => l.filter((n) => n.startsWith(`eo-${lab.id}`)));
    expect((await names()).length).toBe(4);
    await lab.cleanup();
    await lab.cleanup();
    expect(await names()).toEqual([]);
  });
});
