// `host-join/<name>/<hostId>`: preflight → program the overlay → peer table → probe joined peers.
// Runs on the host's own task queue, or since 'host-channel-v2' through the control worker's relay; a
// failure fails only this child.
import { ApplicationFailure, isCancellation, log, patched } from '@temporalio/workflow';
import type { ApplyOverlayResult, ProbePeersResult } from '../activities/host/contract.js';
import type { PeerTableRef } from '../domain/peer-source.js';
import { ErrorType } from '../domain/errors.js';
import type { OverlaySpec, Peer } from '../domain/types.js';
import { HOST_CHANNEL_PATCH, type HostProxies, hostActivities, useHostRelay } from './activity-options.js';

/**
 * Since 'preflight-overlay-check': preflight is given the spec, so the host refuses an overlay CIDR that
 * collides with its own underlay subnet or with the address it reaches the control plane at (InvalidOverlayConfig,
 * nothing applied); and a join that fails after it started programming the host tears down what it applied,
 * so a failed host carries no half overlay (a stale vxlan device on scbr-100) into its next cluster.
 */
export const PREFLIGHT_OVERLAY_PATCH = 'preflight-overlay-check';
/** The teardown after a failed join is best effort and must not hold the failure back for a whole budget. */
const CLEANUP_BUDGET_MS = 30_000;

export interface HostJoinInput {
  spec: OverlaySpec;
  hostId: string;
  overlayIp: string;
  /** Full peer table for this host (empty when `peersFrom` is given). */
  peers: Peer[];
  /** Overlay IPs of peers that already joined: the connectivity check (empty when `peersFrom` is given). */
  probeTargets: string[];
  /** Since 'peer-tables-by-reference': the table by reference (domain/peer-source.ts), resolved by the relay. */
  peersFrom?: PeerTableRef;
  /** With `peersFrom`: the host probes its table's peers with the push (some peer has joined). */
  probeJoined?: boolean;
  activityBudgetMs: number;
}

export interface HostJoinResult {
  hostId: string;
  overlayIp: string;
  underlayIp: string | null;
  mtu: number;
  probe: ProbePeersResult | null;
  warnings: string[];
  /** With `peersFrom`: the digest of the table the host applied (it may be newer than the reference). */
  peersDigest?: string;
}

export async function hostJoinWorkflow(input: HostJoinInput): Promise<HostJoinResult> {
  if (patched(HOST_CHANNEL_PATCH)) useHostRelay();
  const host = hostActivities(input.hostId, input.activityBudgetMs);
  const checked = patched(PREFLIGHT_OVERLAY_PATCH);
  const pre = checked ? await host.preflight({ spec: input.spec }) : await host.preflight();
  if (!pre.vxlanSupported) {
    throw ApplicationFailure.create({
      type: ErrorType.PreflightFailed,
      message: `host ${input.hostId} cannot run VxLAN: ${pre.problems.join('; ') || 'vxlan module missing'}`,
      nonRetryable: true,
      details: [pre],
    });
  }
  const overlayProblems = pre.overlayProblems ?? [];
  if (checked && overlayProblems.length > 0) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidOverlayConfig,
      message: `host ${input.hostId} refused the overlay: ${overlayProblems.join('; ')}`,
      nonRetryable: true,
      details: [{ overlayProblems }],
    });
  }
  const program = async (): Promise<Programmed> => {
    const applied = await host.applyOverlay({ spec: input.spec, overlayIp: input.overlayIp });
    if (input.peersFrom) return { applied, ...(await peersByRef(host, input, input.peersFrom)) };
    await host.setPeers({ spec: input.spec, peers: input.peers });
    const probe =
      input.probeTargets.length > 0 ? await host.probePeers({ targets: input.probeTargets }) : null;
    return { applied, probe };
  };
  const { applied, probe, digest } = checked ? await undoOnFailure(input, program) : await program();
  return {
    hostId: input.hostId,
    overlayIp: input.overlayIp,
    underlayIp: pre.underlayIp,
    mtu: applied.mtu,
    probe,
    warnings: pre.problems,
    ...(digest ? { peersDigest: digest } : {}),
  };
}

interface Programmed {
  applied: ApplyOverlayResult;
  probe: ProbePeersResult | null;
  digest?: string;
}

/** The table by reference, probed with the push (one round trip; an agent that predates probe-with-push
 * answers without a probe, and the join then reports none rather than put targets into history). */
async function peersByRef(
  host: HostProxies,
  input: HostJoinInput,
  ref: PeerTableRef,
): Promise<Omit<Programmed, 'applied'>> {
  const table = await host.setPeers({
    spec: input.spec,
    peersFrom: ref,
    ...(input.probeJoined ? { probe: true } : {}),
  });
  // A stale answer: the host kept a newer table than this one; the loop compares and pushes as needed.
  const digest = table.stale ? undefined : table.digest;
  return { probe: table.probe ?? null, ...(digest ? { digest } : {}) };
}

/** Runs the programming steps; when one fails (not a cancellation: a deleted cluster tears down itself),
 * tears the overlay down on the host before the join fails, best effort within CLEANUP_BUDGET_MS. */
async function undoOnFailure<T>(input: HostJoinInput, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cleanup: HostProxies = hostActivities(
      input.hostId,
      Math.min(input.activityBudgetMs, CLEANUP_BUDGET_MS),
    );
    try {
      await cleanup.teardown({ spec: input.spec });
    } catch (teardownErr) {
      log.warn('teardown after a failed join failed', { hostId: input.hostId, error: String(teardownErr) });
    }
    throw err;
  }
}
