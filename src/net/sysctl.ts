// sysctl reads/writes; /proc/sys/net is per namespace, so NS goes through `ip netns exec`.
import { z } from 'zod';
import { inNetns } from './ns.js';
import type { Runner } from './runner.js';

const keySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'must be a sysctl key like net.ipv4.conf.all.rp_filter');
const valueSchema = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a plain sysctl value');

/** sysctl -n KEY (null when the key does not exist) */
export async function sysctlGet(r: Runner, key: string, netns?: string): Promise<string | null> {
  const [file, args] = inNetns(netns, 'sysctl', ['-n', keySchema.parse(key)]);
  const res = await r.run(file, args, { reject: false });
  return res.exitCode === 0 ? res.stdout.trim() : null;
}

/** sysctl -qw KEY=VALUE ... */
export async function sysctlSet(r: Runner, values: Record<string, string>, netns?: string): Promise<void> {
  const pairs = Object.entries(values).map(([k, v]) => `${keySchema.parse(k)}=${valueSchema.parse(v)}`);
  const [file, args] = inNetns(netns, 'sysctl', ['-qw', ...pairs]);
  await r.run(file, args);
}
