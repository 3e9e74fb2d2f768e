// setPeers: the whole head-end replication table in ONE `bridge -batch` (diff against the kernel,
// delete+append since replace is refused on all-zero entries). In multicast mode the table is empty:
// the group entry does the flooding. flushLearned heals learned entries after an underlay change.
// A removed destination also loses its underlay neighbour entry (see src/net/neigh.ts for why).
import { vxlanDeviceName } from '../../domain/constants.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';
import {
  ALL_ZERO_MAC,
  addrListHere,
  CommandError,
  type FdbOp,
  fdbBatch,
  fdbFlushLearned,
  fdbList,
  herDestinations,
  neighFlushTo,
} from '../../net/index.js';
import { HostError } from '../../domain/host-error.js';
import { ErrorType } from '../../domain/errors.js';
import type { SetPeersResult } from './contract.js';
import type { HostDeps } from './deps.js';
import { multicastGroup } from './schemas.js';

/** The FDB ops that turn `have` into `want`: deletes first, then appends (as the lab's vx_sync_fdb). */
export function planHerOps(have: string[], want: string[]): FdbOp[] {
  const haveSet = new Set(have);
  const wantSet = new Set(want);
  return [
    ...[...haveSet]
      .filter((d) => !wantSet.has(d))
      .map((dst) => ({ op: 'del' as const, mac: ALL_ZERO_MAC, dst })),
    ...[...wantSet]
      .filter((d) => !haveSet.has(d))
      .map((dst) => ({ op: 'append' as const, mac: ALL_ZERO_MAC, dst })),
  ];
}

/** The VxLAN device's FDB. A missing device (applyOverlay has not run) shows as `bridge` failing with
 * "Cannot find device": no separate `ip link` check first (every process an apply starts counts, see
 * addrListHere). */
async function overlayFdb(deps: HostDeps, dev: string) {
  try {
    return await fdbList(deps.runner, dev, deps.netns);
  } catch (err) {
    if (err instanceof CommandError && /Cannot find device/.test(err.stderr))
      throw new HostError(
        ErrorType.HostCommandFailed,
        `${dev} does not exist on ${deps.hostId}: applyOverlay must run first`,
      );
    throw err;
  }
}

export async function setPeers(deps: HostDeps, spec: OverlaySpec, peers: Peer[]): Promise<SetPeersResult> {
  const { runner: r, netns: ns } = deps;
  const dev = vxlanDeviceName(spec.vni);
  const fdb = await overlayFdb(deps, dev);
  const own = new Set((await addrListHere(r, deps.underlayIface, ns)).map((a) => a.ip));
  const want =
    spec.mode === 'multicast'
      ? []
      : peers.filter((p) => p.hostId !== deps.hostId && !own.has(p.underlayIp)).map((p) => p.underlayIp);
  const exclude = spec.mode === 'multicast' ? [multicastGroup(spec)] : [];
  const have = herDestinations(fdb, exclude);
  const ops = planHerOps(have, want);
  await fdbBatch(r, dev, ops, ns);
  if (ops.length > 0) deps.log.info({ ops: ops.length }, 'peer table programmed');
  const removed = ops.filter((o) => o.op === 'del').map((o) => o.dst);
  await flushRemovedNeighbours(deps, removed);
  await deps.memory?.peersSet(spec, peers);
  return { added: ops.length - removed.length, removed: removed.length };
}

/**
 * Frees the packets queued on the underlay ARP entries of removed destinations (a peer's old
 * address after it renumbered). Best effort: the table is already right, and a retry of setPeers
 * would find nothing to remove, so a failure here is logged and does not fail the activity.
 */
async function flushRemovedNeighbours(deps: HostDeps, removed: string[]): Promise<void> {
  if (removed.length === 0) return;
  try {
    await neighFlushTo(deps.runner, deps.underlayIface, removed, deps.netns);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    deps.log.warn({ argv: err.argv, stderr: err.stderr, removed }, 'neighbour flush failed');
  }
}

/**
 * Drops learned (non-permanent) VxLAN FDB entries so stale VTEPs are relearned at once (REPORT V4b).
 * Kernels without vxlan bulk flush (pitfall 6, e.g. 6.1) get the entries deleted in one batch instead.
 */
export async function flushLearned(deps: HostDeps, spec: OverlaySpec): Promise<number> {
  const { runner: r, netns: ns } = deps;
  const dev = vxlanDeviceName(spec.vni);
  const learned = (await fdbList(r, dev, ns)).filter(
    (e) => e.master === undefined && e.dst !== undefined && e.state !== 'permanent' && e.mac !== ALL_ZERO_MAC,
  );
  if (learned.length === 0) return 0;
  try {
    await fdbFlushLearned(r, dev, ns);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const ops = learned.map((e) => ({ op: 'del' as const, mac: e.mac, dst: e.dst as string }));
    await fdbBatch(r, dev, ops, ns);
  }
  return learned.length;
}
