// A throwaway L2 lab for kernel tests: a switch namespace with a bridge, N host namespaces with eth0
// on it (static 10.213.S.x/24 addresses, S random per lab) and optionally a control namespace.
// Names carry a random suffix so concurrent runs never collide; cleanup never throws.
import { randomBytes } from 'node:crypto';
import { cleanupLab, createL2Switch, createNetns, plugVeth, setStaticAddress } from '../../src/lab/netns.js';
import { processRunner, type RunOptions, type Runner } from '../../src/net/index.js';

export const isRoot = process.getuid?.() === 0;

/** Root-only suites call this in describe.skipIf: it shouts when they are skipped. */
export function notRoot(suite: string): boolean {
  if (!isRoot) console.warn(`\n!!! SKIPPING ${suite}: needs root for network namespaces !!!\n`);
  return !isRoot;
}

export interface LabHost {
  name: string;
  ns: string;
  iface: string;
  underlayIp: string;
}

export interface Lab {
  id: string;
  switchNs: string;
  bridge: string;
  subnet: string;
  hosts: LabHost[];
  ctl?: { ns: string; ip: string };
  /** Extra processes (by PID) that cleanup stops before the namespaces go. */
  processes: Array<{ pid: number; expectComm?: string }>;
  /** Stops that also remove files (a forwarder's socket dir); cleanup runs them before the processes go. */
  stops: Array<() => Promise<void>>;
  cleanup(): Promise<void>;
}

export async function createLab(opts: { hosts: number; control?: boolean; mtu?: number }): Promise<Lab> {
  const id = randomBytes(3).toString('hex');
  const subnet = `10.213.${1 + (randomBytes(1)[0]! % 250)}`;
  const switchNs = `eo-${id}-sw`;
  const bridge = 'br0';
  const namespaces = [switchNs];
  const processes: Lab['processes'] = [];
  const stops: Lab['stops'] = [];
  const lab: Lab = {
    id,
    switchNs,
    bridge,
    subnet,
    hosts: [],
    processes,
    stops,
    cleanup: async () => {
      await Promise.allSettled(stops.splice(0).map((stop) => stop()));
      await cleanupLab({ processes, namespaces });
    },
  };
  try {
    await createL2Switch(switchNs, bridge);
    const plug = async (name: string, ip: string): Promise<string> => {
      const ns = `eo-${id}-${name}`;
      namespaces.push(ns);
      await createNetns(ns);
      await plugVeth({
        switchNs,
        bridge,
        switchPort: `v${id}${name}`,
        hostNs: ns,
        hostIface: 'eth0',
        ...(opts.mtu ? { mtu: opts.mtu } : {}),
      });
      await setStaticAddress(ns, 'eth0', `${ip}/24`);
      return ns;
    };
    for (let i = 1; i <= opts.hosts; i++) {
      const underlayIp = `${subnet}.${10 + i}`;
      lab.hosts.push({ name: `h${i}`, ns: await plug(`h${i}`, underlayIp), iface: 'eth0', underlayIp });
    }
    if (opts.control) lab.ctl = { ns: await plug('ctl', `${subnet}.2`), ip: `${subnet}.2` };
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  return lab;
}

export interface RecordedCall {
  file: string;
  args: string[];
  input?: string;
}

/** A runner that records argv and delegates to `inner` (or answers with empty success). */
export function recordingRunner(inner?: Runner): Runner & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async run(file: string, args: readonly string[], opts?: RunOptions) {
      calls.push({ file, args: [...args], ...(opts?.input !== undefined ? { input: opts.input } : {}) });
      if (inner) return inner.run(file, args, opts);
      return { stdout: '', stderr: '', exitCode: 0 };
    },
    spawnLines(file, args, onLine) {
      calls.push({ file, args: [...args] });
      if (inner) return inner.spawnLines(file, args, onLine);
      return { pid: undefined, done: Promise.resolve(), stop: async () => undefined };
    },
  };
}

/** `ip -j -d link` + `bridge -j fdb` of a namespace, with counters and timers stripped, for before/after equality. */
export async function kernelSnapshot(ns: string): Promise<unknown> {
  const links = JSON.parse((await processRunner.run('ip', ['-n', ns, '-j', '-d', 'link', 'show'])).stdout);
  const addrs = JSON.parse((await processRunner.run('ip', ['-n', ns, '-j', '-4', 'addr', 'show'])).stdout);
  // Entries the bridge learned from traffic come and go with it (a peer's ARP, an ND packet); what a rerun
  // must not change is what was programmed, so only entries with a state (permanent, static…) count.
  const fdb = (
    JSON.parse((await processRunner.run('bridge', ['-n', ns, '-j', 'fdb', 'show'])).stdout) as Array<{
      state?: string;
      ifname?: string;
      mac?: string;
    }>
  ).filter((e) => e.state !== undefined && e.state !== '');
  const volatile = /timer|stats|operstate|updated|used/;
  const carrier = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN']);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => !(typeof x === 'string' && carrier.has(x))).map(strip);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k]) => !volatile.test(k))
          .map(([k, x]) => [k, strip(x)]),
      );
    return v;
  };
  const byName = (a: Array<{ ifname?: string; mac?: string; dst?: string }>) =>
    [...a].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return strip({ links: byName(links), addrs: byName(addrs), fdb: byName(fdb) });
}
