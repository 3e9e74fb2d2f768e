// `host-join/<name>/<hostId>`: preflight → program the overlay → peer table → probe joined peers.
// Runs on the host's own task queue, or since 'host-channel-v2' through the control worker's relay; a
// failure fails only this child.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { ProbePeersResult } from '../activities/host/contract.js';
import { ErrorType } from '../domain/errors.js';
import type { OverlaySpec, Peer } from '../domain/types.js';
import { HOST_CHANNEL_PATCH, hostActivities, useHostRelay } from './activity-options.js';

export interface HostJoinInput {
  spec: OverlaySpec;
  hostId: string;
  overlayIp: string;
  /** Full peer table for this host. */
  peers: Peer[];
  /** Overlay IPs of peers that already joined: the connectivity check. */
  probeTargets: string[];
  activityBudgetMs: number;
}

export interface HostJoinResult {
  hostId: string;
  overlayIp: string;
  underlayIp: string | null;
  mtu: number;
  probe: ProbePeersResult | null;
  warnings: string[];
}

export async function hostJoinWorkflow(input: HostJoinInput): Promise<HostJoinResult> {
  if (patched(HOST_CHANNEL_PATCH)) useHostRelay();
  const host = hostActivities(input.hostId, input.activityBudgetMs);
  const pre = await host.preflight();
  if (!pre.vxlanSupported) {
    throw ApplicationFailure.create({
      type: ErrorType.PreflightFailed,
      message: `host ${input.hostId} cannot run VxLAN: ${pre.problems.join('; ') || 'vxlan module missing'}`,
      nonRetryable: true,
      details: [pre],
    });
  }
  const applied = await host.applyOverlay({ spec: input.spec, overlayIp: input.overlayIp });
  await host.setPeers({ spec: input.spec, peers: input.peers });
  const probe = input.probeTargets.length > 0 ? await host.probePeers({ targets: input.probeTargets }) : null;
  return {
    hostId: input.hostId,
    overlayIp: input.overlayIp,
    underlayIp: pre.underlayIp,
    mtu: applied.mtu,
    probe,
    warnings: pre.problems,
  };
}
