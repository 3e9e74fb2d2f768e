// Real DHCP for the lab: dnsmasq (DHCP only) in its own namespace, busybox udhcpc in each host
// namespace with our own hook script. Flags and pitfalls from reference/netns-lab/REPORT.md §8 (2-4).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { hostIdSchema, ifaceNameSchema, ipv4Schema } from '../domain/validation.js';
import { addrList, processRunner, type Runner } from '../net/index.js';
import { spawnInNetns, stopPid } from './netns.js';
import { type DaemonSpec, spawnManyInNetns } from './spawn-many.js';

export interface DnsmasqOptions {
  ns: string;
  iface: string;
  rangeStart: string;
  rangeEnd: string;
  netmask?: string;
  /** dnsmasq's minimum is 2m (T1 = 60 s). */
  leaseTime?: string;
  runDir: string;
  /** Skip the ICMP check of every candidate (~3 s per client, serialized): default true. */
  noPing?: boolean;
}

export interface DnsmasqServer {
  pid: number;
  leaseFile: string;
  stop(): Promise<void>;
}

/**
 * dnsmasq in the foreground (trackable PID) with no config file, no DNS (--port=0), its own lease,
 * pid and log files (the defaults are shared by all namespaces), no router and no DNS server
 * pushed, and --dhcp-authoritative so a renewal of an address outside the pool gets a NAK.
 */
export async function startDnsmasq(o: DnsmasqOptions): Promise<DnsmasqServer> {
  const iface = ifaceNameSchema.parse(o.iface);
  const first = ipv4Schema.parse(o.rangeStart);
  const last = ipv4Schema.parse(o.rangeEnd);
  const mask = ipv4Schema.parse(o.netmask ?? '255.255.255.0');
  const lease = z
    .string()
    .regex(/^\d+[mh]$/)
    .parse(o.leaseTime ?? '2m');
  const leaseFile = join(o.runDir, 'dnsmasq.leases');
  if (!existsSync(leaseFile)) writeFileSync(leaseFile, '');
  const proc = await spawnInNetns(
    o.ns,
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--port=0',
      `--interface=${iface}`,
      '--except-interface=lo',
      '--bind-interfaces',
      `--dhcp-range=${first},${last},${mask},${lease}`,
      '--dhcp-authoritative',
      `--dhcp-leasefile=${leaseFile}`,
      '--dhcp-option=option:router',
      '--dhcp-option=option:dns-server',
      ...(o.noPing === false ? [] : ['--no-ping']),
      '--log-dhcp',
      `--log-facility=${join(o.runDir, 'dnsmasq.log')}`,
      `--pid-file=${join(o.runDir, 'dnsmasq.selfpid')}`,
      '--user=root',
      '--group=root',
    ],
    { logFile: join(o.runDir, 'dnsmasq.out') },
  );
  return {
    pid: proc.pid,
    leaseFile,
    stop: () => stopPid(proc.pid, { expectComm: 'dnsmasq', graceMs: 3000 }),
  };
}

/** Empties the lease file: with the server stopped, this is the "no leases" of an outage. */
export function clearLeases(runDir: string): void {
  writeFileSync(join(runDir, 'dnsmasq.leases'), '');
}

// The stock /etc/udhcpc/default.script rewrites the shared /etc/resolv.conf and default routes.
// This hook touches only $interface (refusing any other) in the namespace it runs in, and records
// every event with a ms timestamp so benchmarks can tell when a lease arrived.
const HOOK = `#!/bin/sh
# edge-overlay lab udhcpc hook: only touches $EXPECT_IFACE in its own netns. No routes, no DNS.
[ "$interface" = "$EXPECT_IFACE" ] || exit 1
now=$(date +%s%3N)
case "$1" in
  deconfig)
    ip link set "$interface" up
    ip -4 addr flush dev "$interface"
    echo "$now deconfig" >> "$EVENTS_FILE" ;;
  bound|renew)
    new="$ip/\${mask:-24}"
    cur=$(ip -4 -o addr show dev "$interface" | awk '{print $4}' | head -n1)
    if [ "$cur" != "$new" ]; then
      ip -4 addr flush dev "$interface"
      ip -4 addr add "$new" brd + dev "$interface"
    fi
    echo "$now $1 $ip" >> "$EVENTS_FILE" ;;
  leasefail|nak)
    echo "$now $1" >> "$EVENTS_FILE" ;;
esac
exit 0
`;

/** Writes the hook script into runDir (mode 0755) and returns its path. */
export function writeUdhcpcHook(runDir: string): string {
  const path = join(runDir, 'udhcpc-hook.sh');
  writeFileSync(path, HOOK);
  chmodSync(path, 0o755);
  return path;
}

export interface UdhcpcOptions {
  ns: string;
  iface: string;
  hostId: string;
  runDir: string;
  hookPath: string;
}

export interface UdhcpcClient {
  pid: number;
  eventsFile: string;
  stop(): Promise<void>;
}

export const eventsFileFor = (runDir: string, hostId: string): string =>
  join(runDir, `${hostIdSchema.parse(hostId)}.dhcp-events`);

/** busybox udhcpc in the foreground with fast timings (-t 8 -T 1 -A 1, REPORT pitfall 3). */
function udhcpcSpec(o: UdhcpcOptions): DaemonSpec & { eventsFile: string } {
  const iface = ifaceNameSchema.parse(o.iface);
  const hostId = hostIdSchema.parse(o.hostId);
  const eventsFile = eventsFileFor(o.runDir, hostId);
  return {
    ns: o.ns,
    cmd: 'udhcpc',
    args: ['-f', '-i', iface, '-s', o.hookPath, '-x', `hostname:${hostId}`, '-t', '8', '-T', '1', '-A', '1'],
    env: {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      EXPECT_IFACE: iface,
      EVENTS_FILE: eventsFile,
    },
    logFile: join(o.runDir, `${hostId}.udhcpc.log`),
    eventsFile,
  };
}

const client = (pid: number, eventsFile: string): UdhcpcClient => ({
  pid,
  eventsFile,
  stop: () => stopPid(pid, { expectComm: 'udhcpc', graceMs: 2000 }),
});

/** Many clients at once, as after a site outage, with one spawn from this process (spawn-many.ts). */
export async function startUdhcpcMany(all: readonly UdhcpcOptions[]): Promise<UdhcpcClient[]> {
  const specs = all.map(udhcpcSpec);
  const pids = await spawnManyInNetns(specs);
  return pids.map((pid, i) => client(pid, specs[i]!.eventsFile));
}

export interface LeaseEvent {
  timeMs: number;
  kind: string;
  ip: string | undefined;
}

/** Parsed events the hook recorded for a host (empty when none yet). */
export function readLeaseEvents(eventsFile: string): LeaseEvent[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [t, kind, ip] = line.split(' ');
      return { timeMs: Number(t), kind: kind ?? '', ip };
    });
}

/** The current IPv4 address of IFACE in NS, or null. */
export async function currentAddress(
  ns: string,
  iface: string,
  r: Runner = processRunner,
): Promise<string | null> {
  const addrs = await addrList(r, iface, ns);
  return addrs[0]?.ip ?? null;
}

/**
 * Waits until the udhcpc hook recorded a `bound` to an address other than `notThis` at or after `sinceMs`;
 * returns it. The hook writes the event after it configured the address, so this says what waitForLease
 * says without an `ip` process per poll: 20 hosts polled every 50 ms were ~400 spawns a second from the
 * process that also runs the control plane in tests (its event loop stalled for seconds).
 */
export async function waitForLeaseEvent(
  eventsFile: string,
  opts: { notThis?: string | null; sinceMs: number; timeoutMs?: number },
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const bound = readLeaseEvents(eventsFile).filter(
      (e) => e.kind === 'bound' && e.timeMs >= opts.sinceMs && e.ip !== undefined && e.ip !== opts.notThis,
    );
    const ip = bound.at(-1)?.ip;
    if (ip) return ip;
    await sleep(50);
  }
  throw new Error(`no new DHCP lease recorded in ${eventsFile} after ${opts.timeoutMs ?? 30_000} ms`);
}

/** Waits until IFACE in NS has an address that is not `notThis`; returns it. */
export async function waitForLease(
  ns: string,
  iface: string,
  opts: { notThis?: string | null; timeoutMs?: number } = {},
): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const ip = await currentAddress(ns, iface);
    if (ip && ip !== opts.notThis) return ip;
    await sleep(50);
  }
  throw new Error(`no new DHCP lease on ${iface} in netns ${ns} after ${opts.timeoutMs ?? 30_000} ms`);
}
