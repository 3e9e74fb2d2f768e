// A real 3-member etcd (Debian etcd-server 3.4, --logger zap) inside lab host namespaces, bound to
// the addresses we give it (overlay IPs for the product case, underlay IPs for the control case),
// and etcdctl helpers run inside a namespace.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { hostIdSchema, ipv4Schema } from '../domain/validation.js';
import { processRunner, inNetns, type Runner } from '../net/index.js';
import { spawnInNetns, stopPid } from './netns.js';

export interface EtcdMemberSpec {
  /** Member name (a host id). */
  name: string;
  ns: string;
  /** The address peer and client URLs are bound to and advertised on. */
  ip: string;
}

export interface EtcdClusterOptions {
  members: EtcdMemberSpec[];
  dataDir: string;
  token: string;
  clientPort?: number;
  peerPort?: number;
  /** Also listen on 127.0.0.1 so the cluster can be asked locally after its addresses vanish. */
  loopbackClient?: boolean;
}

export interface EtcdCluster {
  members: EtcdMemberSpec[];
  pids: number[];
  clientPort: number;
  /** Client URL of a member on its bound address. */
  endpoint(name: string): string;
  stop(): Promise<void>;
}

const portSchema = z.number().int().min(1).max(65535);
const timeoutSchema = z.string().regex(/^\d+(ms|s)$/);

export async function startEtcdCluster(o: EtcdClusterOptions): Promise<EtcdCluster> {
  const clientPort = portSchema.parse(o.clientPort ?? 2379);
  const peerPort = portSchema.parse(o.peerPort ?? 2380);
  const token = hostIdSchema.parse(o.token);
  const members = o.members.map((m) => ({
    ...m,
    name: hostIdSchema.parse(m.name),
    ip: ipv4Schema.parse(m.ip),
  }));
  const initialCluster = members.map((m) => `${m.name}=http://${m.ip}:${peerPort}`).join(',');
  const pids: number[] = [];
  const stop = () =>
    Promise.all(pids.map((pid) => stopPid(pid, { expectComm: 'etcd', graceMs: 3000 }))).then(() => {});
  try {
    for (const m of members) {
      const dir = join(o.dataDir, m.name);
      mkdirSync(o.dataDir, { recursive: true });
      const clientUrls = [
        `http://${m.ip}:${clientPort}`,
        ...(o.loopbackClient ? [`http://127.0.0.1:${clientPort}`] : []),
      ];
      const proc = await spawnInNetns(
        m.ns,
        'etcd',
        [
          '--name',
          m.name,
          '--data-dir',
          dir,
          '--listen-peer-urls',
          `http://${m.ip}:${peerPort}`,
          '--initial-advertise-peer-urls',
          `http://${m.ip}:${peerPort}`,
          '--listen-client-urls',
          clientUrls.join(','),
          '--advertise-client-urls',
          `http://${m.ip}:${clientPort}`,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-token',
          token,
          '--initial-cluster-state',
          'new',
          '--logger',
          'zap',
          '--log-outputs',
          'stderr',
        ],
        { logFile: join(o.dataDir, `${m.name}.log`) },
      );
      pids.push(proc.pid);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    members,
    pids,
    clientPort,
    endpoint: (name) => {
      const m = members.find((x) => x.name === name);
      if (!m) throw new Error(`no etcd member ${name}`);
      return `http://${m.ip}:${clientPort}`;
    },
    stop,
  };
}

export interface EtcdctlTarget {
  /** Namespace etcdctl runs in. */
  ns: string;
  endpoint: string;
  /** etcdctl --dial-timeout / --command-timeout (default 1s / 2s); short ones make polling precise. */
  dialTimeout?: string;
  commandTimeout?: string;
}

/** etcdctl --endpoints=URL --dial-timeout=1s --command-timeout=2s ARGS... inside NS. */
export async function etcdctl(
  t: EtcdctlTarget,
  args: string[],
  r: Runner = processRunner,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const url = z.url().parse(t.endpoint);
  const [file, argv] = inNetns(t.ns, 'etcdctl', [
    `--endpoints=${url}`,
    `--dial-timeout=${timeoutSchema.parse(t.dialTimeout ?? '1s')}`,
    `--command-timeout=${timeoutSchema.parse(t.commandTimeout ?? '2s')}`,
    ...args,
  ]);
  const res = await r.run(file, argv, { reject: false, timeoutMs: 10_000 });
  return { ok: res.exitCode === 0, stdout: res.stdout, stderr: res.stderr };
}

/** `endpoint health --cluster`: every member, at its advertised client URL, commits a proposal. */
export async function clusterHealthy(t: EtcdctlTarget, r: Runner = processRunner): Promise<boolean> {
  return (await etcdctl(t, ['endpoint', 'health', '--cluster'], r)).ok;
}

/**
 * Resolves with the wall clock (ms) of the first successful `endpoint health --cluster`. Starts a
 * short-timeout check every `everyMs` without waiting for the previous one, so one check stuck on a
 * dead endpoint does not hide the moment the cluster is back.
 */
export async function waitForEtcdHealthy(
  t: EtcdctlTarget,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<number> {
  const quick = { dialTimeout: '500ms', commandTimeout: '1s', ...t };
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setInterval(() => {
      if (done) return;
      if (Date.now() > deadline) {
        done = true;
        clearInterval(timer);
        reject(new Error(`etcd at ${t.endpoint} not healthy after ${timeoutMs} ms`));
        return;
      }
      void clusterHealthy(quick).then((ok) => {
        if (!ok || done) return;
        done = true;
        clearInterval(timer);
        resolve(Date.now());
      });
    }, everyMs);
  });
}

export async function etcdPut(t: EtcdctlTarget, key: string, value: string, r: Runner = processRunner) {
  const res = await etcdctl(t, ['put', '--', key, value], r);
  if (!res.ok) throw new Error(`etcdctl put ${key} failed: ${res.stderr.trim()}`);
}

/** Linearizable get; null when the key is missing or the cluster cannot answer. */
export async function etcdGet(
  t: EtcdctlTarget,
  key: string,
  r: Runner = processRunner,
): Promise<string | null> {
  const res = await etcdctl(t, ['get', '--print-value-only', '--', key], r);
  if (!res.ok || res.stdout === '') return null;
  return res.stdout.replace(/\n$/, '');
}

export interface EtcdMemberInfo {
  id: string;
  status: string;
  name: string;
  peerUrls: string;
  clientUrls: string;
}

/**
 * Member list sorted by name, from the simple output ("ID, status, name, peer URLs, client URLs,
 * learner"): its hex ids are exact, while JSON gives 64-bit ids as numbers that lose precision.
 */
export async function memberList(t: EtcdctlTarget, r: Runner = processRunner): Promise<EtcdMemberInfo[]> {
  const res = await etcdctl(t, ['member', 'list', '-w', 'simple'], r);
  if (!res.ok) throw new Error(`etcdctl member list failed: ${res.stderr.trim()}`);
  return res.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', status = '', name = '', peerUrls = '', clientUrls = ''] = line.split(', ');
      return { id, status, name, peerUrls, clientUrls };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
