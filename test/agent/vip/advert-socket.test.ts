// The VIP advert socket on a real L2 (netns): each host runs its socket in its own namespace (a child
// process, advert-socket-peer.ts). A's broadcasts reach B and C with A's underlay address as source, not
// A itself and not a host in the same subnet on another bridge; a renumbered A is heard from its new
// address; a flooding source is held to its bucket while the others still get through.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADVERT_LIMITS, openAdvertSocket } from '../../../src/agent/vip/advert-socket.js';
import { VIP_ADVERT_PORT } from '../../../src/domain/constants.js';
import { addrDel, addrReplace, processRunner } from '../../../src/net/index.js';
import { createLab, type Lab, notRoot } from '../../helpers/netns-lab.js';

const PEER = fileURLToPath(new URL('./advert-socket-peer.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Got {
  got: string;
  address: string;
  port: number;
}

class Peer {
  readonly lines: Array<Record<string, unknown>> = [];
  private rest = '';
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p));
    });
  }
  static async start(lab: Lab, ns: string): Promise<Peer> {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PEER, 'eth0', String(VIP_ADVERT_PORT)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    if (child.pid) lab.processes.push({ pid: child.pid, expectComm: 'node' });
    const peer = new Peer(child);
    await peer.waitFor((l) => 'ready' in l, 20_000);
    return peer;
  }
  send(obj: unknown): void {
    this.child.stdin.write(`${JSON.stringify(obj)}\n`);
  }
  received(payload: string): Got[] {
    return this.lines.filter((l): l is Got & Record<string, unknown> => l.got === payload) as Got[];
  }
  async waitFor(pred: (l: Record<string, unknown>) => boolean, ms = 3000): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`timed out; lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await sleep(10);
    }
  }
  async stats(): Promise<{ dropped: { sourceLimit: number; own: number } }> {
    const before = this.lines.length;
    this.send({ stats: true });
    await this.waitFor((l) => 'stats' in l && this.lines.indexOf(l) >= before);
    return this.lines.filter((l) => 'stats' in l).pop()!.stats as {
      dropped: { sourceLimit: number; own: number };
    };
  }
  stop(): void {
    this.child.stdin.end();
  }
}

const payload = () => randomBytes(24).toString('base64');

describe.skipIf(notRoot('VIP advert socket'))('VIP advert socket (netns, real L2)', () => {
  let lab: Lab;
  let other: Lab;
  let peers: Peer[];
  let isolated: Peer;

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    // a host in the SAME subnet on a bridge of its own: only the L2 separates it
    other = await createLab({ hosts: 1 });
    const o = other.hosts[0]!;
    await addrDel(processRunner, 'eth0', o.underlayIp, 24, o.ns);
    await addrReplace(processRunner, 'eth0', `${lab.subnet}.50`, 24, o.ns);
    peers = await Promise.all(lab.hosts.map((h) => Peer.start(lab, h.ns)));
    isolated = await Peer.start(other, o.ns);
  });
  afterAll(async () => {
    for (const p of [...(peers ?? []), isolated]) p?.stop();
    await lab?.cleanup();
    await other?.cleanup();
  });

  it('A broadcasts: B and C get the buffer with A as source; A and the host on another bridge do not', async () => {
    const [a, b, c] = peers as [Peer, Peer, Peer];
    const msg = payload();
    a.send({ send: msg });
    await a.waitFor((l) => l.sent === true);
    for (const p of [b, c]) {
      const got = (await p.waitFor((l) => l.got === msg)) as unknown as Got;
      expect(got).toEqual({ got: msg, address: lab.hosts[0]!.underlayIp, port: VIP_ADVERT_PORT });
    }
    // the isolated host would also have answered to its own subnet's broadcast: it sends one to show it
    // is alive and listening, and nobody on the lab's bridge hears it
    const probe = payload();
    isolated.send({ send: probe });
    await isolated.waitFor((l) => l.sent === true);
    await sleep(300);
    expect(isolated.received(msg)).toEqual([]);
    expect(a.received(msg)).toEqual([]);
    for (const p of peers) expect(p.received(probe)).toEqual([]);
    expect((await a.stats()).dropped.own).toBeGreaterThanOrEqual(1);
  });

  it('after A is renumbered, its next advert comes from the new address (the kernel picks the source)', async () => {
    const [a, b] = peers as [Peer, Peer];
    const h = lab.hosts[0]!;
    const renumbered = `${lab.subnet}.99`;
    await addrDel(processRunner, 'eth0', h.underlayIp, 24, h.ns);
    await addrReplace(processRunner, 'eth0', renumbered, 24, h.ns);
    try {
      const msg = payload();
      a.send({ send: msg });
      expect(((await b.waitFor((l) => l.got === msg)) as unknown as Got).address).toBe(renumbered);
    } finally {
      await addrDel(processRunner, 'eth0', renumbered, 24, h.ns);
      await addrReplace(processRunner, 'eth0', h.underlayIp, 24, h.ns);
    }
  });

  it('a source flooding 300 datagrams is held to its bucket; A still gets through', async () => {
    const [a, b, c] = peers as [Peer, Peer, Peer];
    const flood = payload();
    const t0 = Date.now();
    c.send({ flood: 300, send: flood });
    await c.waitFor((l) => l.flooded === 300, 10_000);
    const msg = payload();
    a.send({ send: msg });
    await b.waitFor((l) => l.got === msg);
    await sleep(200);
    const seconds = (Date.now() - t0) / 1000;
    const { burst, perSecond } = DEFAULT_ADVERT_LIMITS.perSource;
    const passed = b.received(flood).length;
    console.log(`[vip] advert flood: 300 sent by C, ${passed} passed to B in ${seconds.toFixed(2)} s`);
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThanOrEqual(burst + Math.ceil(perSecond * seconds));
    expect((await b.stats()).dropped.sourceLimit).toBeGreaterThan(0);
  });

  it('an interface without an IPv4 address sends nothing', async () => {
    const s = await openAdvertSocket({ iface: 'nosuchif0', port: 0, onDatagram: () => undefined });
    try {
      expect(await s.send(Buffer.from('x'))).toBe(false);
      expect(s.stats().noAddress).toBe(1);
    } finally {
      await s.stop();
    }
  });
});
