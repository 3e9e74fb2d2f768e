// Steps shared by the e2e tests, `npm run demo` and `npm run bench:recovery`: drive the product
// through its API (as a user would) and observe the lab from the outside (ping, etcdctl).
import type { ApiClient, ClusterStatus, CreateClusterRequest } from '../cli/api-client.js';
import { waitFor } from '../dev/process.js';
import type { HostSpec } from '../domain/types.js';
import { ipv4Schema } from '../domain/validation.js';
import { processRunner, inNetns } from '../net/index.js';
import type { EtcdMemberSpec } from './etcd.js';
import type { LabHost, LabState } from './state.js';

/**
 * Waits until every lab host's record (GET /v1/hosts) is online (its agent holds a broker session) with an
 * underlay address. A record exists only once the host's own agent reported its underlay (the lab never
 * registers hosts as an admin), so a listed record with an address is the agent's report. `expect`
 * (hostId → address) also waits for those addresses.
 */
export async function waitForAgentsOnline(
  api: ApiClient,
  lab: LabState,
  timeoutMs = 60_000,
  expect?: Record<string, string | null>,
): Promise<void> {
  const pending = new Set(lab.hosts.map((h) => h.hostId));
  await waitFor(
    `agents of ${lab.hosts.length} hosts online with their underlay address`,
    async () => {
      for (const r of await api.listHosts()) {
        const wanted = expect?.[r.hostId];
        const addressed = ipv4Schema.safeParse(r.underlayIp).success;
        // `online` is absent while the control plane has recorded no presence for the host (see the lab
        // report: today the presence an agent publishes before its first underlay report is dropped, and
        // GET /v1/hosts does not return the field): only an explicit offline holds the lab back.
        if (r.online !== false && addressed && (wanted === undefined || wanted === r.underlayIp))
          pending.delete(r.hostId);
      }
      return pending.size === 0;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((err: Error) => {
    throw new Error(`${err.message} (still waiting for ${[...pending].join(', ')})`);
  });
}

/** The site elects its VIP among the control-plane hosts by majority (issue 13): 3 of them survive the loss
 * of any one; 2 would need both (2 of 2), so a lab of 3 or more hosts gets 3, a smaller one 1. */
export const defaultControlPlanes = (hosts: number): number => (hosts >= 3 ? 3 : 1);

/** The first `controlPlanes` hosts are control-plane (VIP voters and candidates), the rest workers. */
export function hostSpecs(lab: LabState, controlPlanes = defaultControlPlanes(lab.hosts.length)): HostSpec[] {
  return lab.hosts.map((h, i) => ({
    hostId: h.hostId,
    role: i < controlPlanes ? 'control-plane' : 'worker',
  }));
}

export async function createClusterAndWait(
  api: ApiClient,
  name: string,
  hosts: HostSpec[],
  timeoutMs = 90_000,
  more: Omit<CreateClusterRequest, 'name' | 'hosts'> = {},
): Promise<ClusterStatus> {
  await api.createCluster({ ...more, name, hosts });
  let view: ClusterStatus | undefined;
  await waitFor(
    `cluster ${name} Ready with ${hosts.length} joined hosts and a VIP holder`,
    async () => {
      view = await api.getCluster(name);
      return (
        view.phase === 'Ready' && view.vipHolder !== null && view.hosts.every((h) => h.state === 'Joined')
      );
    },
    { timeoutMs, intervalMs: 250 },
  );
  return view!;
}

/** hostId → overlay IP from the cluster view. */
export function overlayIps(view: ClusterStatus): Record<string, string> {
  return Object.fromEntries(view.hosts.map((h) => [h.hostId, h.overlayIp]));
}

/** One ICMP echo from NS to DST (fractional -W works with iputils 20221126). */
export async function ping(ns: string, dst: string, timeoutS = 0.5): Promise<boolean> {
  const [file, args] = inNetns(ns, 'ping', [
    '-n',
    '-q',
    '-c1',
    '-W',
    String(timeoutS),
    ipv4Schema.parse(dst),
  ]);
  return (await processRunner.run(file, args, { reject: false, timeoutMs: 5000 })).exitCode === 0;
}

/** Every ordered pair of hosts over the overlay, in parallel; ok when all answer. */
export async function overlayPingMatrix(
  hosts: LabHost[],
  ips: Record<string, string>,
  timeoutS = 0.5,
): Promise<{ ok: number; total: number }> {
  const pairs = hosts.flatMap((s) => hosts.filter((d) => d !== s).map((d) => [s, d] as const));
  const results = await Promise.all(pairs.map(([s, d]) => ping(s.ns, ips[d.hostId]!, timeoutS)));
  return { ok: results.filter(Boolean).length, total: pairs.length };
}

/**
 * Resolves with the wall clock (ms) when a full ping matrix first succeeds. A new matrix starts
 * every `everyMs` without waiting for slower ones, so a round stuck on a timeout hides nothing.
 */
export async function waitForOverlay(
  hosts: LabHost[],
  ips: Record<string, string>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = { ok: 0, total: 0 };
  return new Promise((resolve, reject) => {
    let done = false;
    let inFlight = 0;
    const timer = setInterval(() => {
      if (done || inFlight >= 6) return;
      if (Date.now() > deadline) {
        done = true;
        clearInterval(timer);
        reject(new Error(`overlay ping matrix still ${last.ok}/${last.total} after ${timeoutMs} ms`));
        return;
      }
      inFlight++;
      void overlayPingMatrix(hosts, ips, 0.3).then((r) => {
        inFlight--;
        last = r;
        if (done || r.ok !== r.total) return;
        done = true;
        clearInterval(timer);
        resolve(Date.now());
      });
    }, everyMs);
  });
}

/** etcd members bound to the hosts' overlay IPs (the product case). */
export function overlayEtcdMembers(lab: LabState, ips: Record<string, string>): EtcdMemberSpec[] {
  return lab.hosts.map((h) => ({ name: h.hostId, ns: h.ns, ip: ips[h.hostId]! }));
}

/** etcd members bound to the hosts' current underlay IPs (the control case). */
export function underlayEtcdMembers(lab: LabState, addrs: Record<string, string | null>): EtcdMemberSpec[] {
  return lab.hosts.map((h) => {
    const ip = addrs[h.hostId];
    if (!ip) throw new Error(`${h.hostId} has no underlay address`);
    return { name: h.hostId, ns: h.ns, ip };
  });
}
