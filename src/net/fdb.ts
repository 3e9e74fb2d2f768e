// FDB verbs (netlink NeighAppend/NeighDel/NeighList with NDA_MASTER unset = `bridge fdb ... self`).
// All-zero entries are the head-end replication list; the kernel refuses `replace` on them
// ("Cannot replace non-unicast fdb entries"), so changing one is a delete plus an append.
import { z } from 'zod';
import { iface, ipv4, mac } from './check.js';
import { nsFlag } from './ns.js';
import type { Runner } from './runner.js';

export const ALL_ZERO_MAC = '00:00:00:00:00:00';

const fdbEntrySchema = z.object({
  mac: z.string(),
  dst: z.string().optional(),
  master: z.string().optional(),
  flags: z.array(z.string()).default([]),
  state: z.string().optional(),
});
export type FdbEntry = z.infer<typeof fdbEntrySchema>;

export interface FdbOp {
  op: 'append' | 'del';
  mac: string;
  dst: string;
}

/** bridge [-n NS] -j fdb show dev NAME */
export async function fdbList(r: Runner, dev: string, netns?: string): Promise<FdbEntry[]> {
  const { stdout } = await r.run('bridge', [...nsFlag(netns), '-j', 'fdb', 'show', 'dev', iface(dev)]);
  return z.array(fdbEntrySchema).parse(JSON.parse(stdout || '[]'));
}

/** The head-end replication targets: all-zero `self` entries with a dst, without `group` (multicast) ones. */
export function herDestinations(entries: FdbEntry[], exclude: string[] = []): string[] {
  return entries
    .filter((e) => e.mac === ALL_ZERO_MAC && e.dst !== undefined && e.master === undefined)
    .map((e) => e.dst as string)
    .filter((d) => !exclude.includes(d));
}

/** The `bridge -batch` script for ops: one `fdb append|del MAC dev NAME dst IP` line each (validated). */
export function fdbBatchScript(dev: string, ops: FdbOp[]): string {
  const d = iface(dev);
  return ops.map((o) => `fdb ${o.op} ${mac(o.mac)} dev ${d} dst ${ipv4(o.dst)}\n`).join('');
}

/** bridge [-n NS] -batch - (all ops in ONE process; ~1000x cheaper than one process per entry) */
export async function fdbBatch(r: Runner, dev: string, ops: FdbOp[], netns?: string): Promise<void> {
  if (ops.length === 0) return;
  await r.run('bridge', [...nsFlag(netns), '-batch', '-'], { input: fdbBatchScript(dev, ops) });
}

/** bridge fdb flush dev NAME self nopermanent (learned entries only; without the filter it also drops HER entries) */
export async function fdbFlushLearned(r: Runner, dev: string, netns?: string): Promise<void> {
  await r.run('bridge', [...nsFlag(netns), 'fdb', 'flush', 'dev', iface(dev), 'self', 'nopermanent']);
}
