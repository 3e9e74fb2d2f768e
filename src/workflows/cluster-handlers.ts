// Update and signal handlers of the cluster workflow. Validators reject bad input before it reaches
// history; handlers change state and wake the main loop, which does the slow work.
import { log, setHandler } from '@temporalio/workflow';
import { ErrorType } from '../domain/errors.js';
import {
  addHostsInputSchema,
  changeOverlayInputSchema,
  hostHeartbeatInputSchema,
  hostPresenceInputSchema,
  removeHostInputSchema,
  underlayChangedInputSchema,
  underlayChangesInputSchema,
} from '../domain/validation.js';
import { Admission } from './admission.js';
import { clusterInputSchema } from './cluster-init.js';
import type { ClusterState } from './cluster-state.js';
import {
  addHostsUpdate,
  admitClusterUpdate,
  changeOverlayUpdate,
  deleteClusterUpdate,
  hostHeartbeatSignal,
  hostPresenceSignal,
  removeHostUpdate,
  underlayChangedSignal,
  underlayChangesSignal,
  vipReportSignal,
} from '../contract/workflow-messages.js';
import { admitClaims, claimHosts, releaseClaim } from './membership.js';
import type { SiteVipState } from './site-vip-state.js';
import { fail, parseOrFail, safeParseSignal } from './validate.js';

export function registerMessageHandlers(
  state: ClusterState,
  wake: () => void,
  admission: Admission,
  siteVip: SiteVipState | null,
): void {
  const notDeleting = () => {
    if (state.deleting) fail(ErrorType.ClusterDeleting, `cluster ${state.name} is being deleted`);
  };

  setHandler(
    addHostsUpdate,
    async ({ hosts }) => {
      const claims = await claimHosts(state, hosts);
      const refused = claims.filter((c) => !c.ok);
      if (refused.length > 0) {
        // All or nothing: give back what this request claimed for hosts that are not members.
        const claimedNew = claims.filter((c) => c.ok && !state.host(c.hostId));
        await Promise.all(claimedNew.map((c) => releaseClaim(state, c.hostId)));
        const first = refused[0]!;
        const message = refused.map((c) => (c.ok ? '' : c.message)).join('; ');
        fail(first.ok ? ErrorType.InvalidInput : first.errorType, message);
      }
      // Re-check after the await: a concurrent request may have added some of them.
      const fresh = hosts.filter((h) => {
        const cur = state.host(h.hostId);
        return !cur || cur.state === 'Failed';
      });
      admitClaims(state, fresh, claims);
      siteVip?.noteRequested(fresh);
      state.refreshStatus();
      wake();
      return state.view();
    },
    {
      description:
        'Add hosts (POST /v1/clusters/:name/hosts): claims each, then joins them in the background',
      validator: (input) => {
        const { hosts } = parseOrFail(addHostsInputSchema, input);
        notDeleting();
        const ids = hosts.map((h) => h.hostId);
        const dup = ids.find((id, i) => ids.indexOf(id) !== i);
        if (dup !== undefined) fail(ErrorType.InvalidInput, `host ${dup} is listed twice`);
        for (const h of hosts) {
          const cur = state.host(h.hostId);
          // A Failed member may be added again: that is how a failed join is retried.
          if (cur && cur.state !== 'Failed') {
            fail(ErrorType.HostAlreadyInCluster, `host ${h.hostId} is already in cluster ${state.name}`);
          }
        }
        const needed = hosts.filter((h) => !state.host(h.hostId)).length;
        if (needed > state.freeAddresses) {
          fail(
            ErrorType.InvalidOverlayConfig,
            `${state.spec.overlayCidr} has no room for ${needed} more hosts`,
          );
        }
      },
    },
  );

  setHandler(
    removeHostUpdate,
    ({ hostId }) => {
      if (state.markRemoving(hostId)) {
        state.refreshStatus();
        wake();
      }
      return state.view();
    },
    {
      description:
        'Remove a host (DELETE /v1/clusters/:name/hosts/:hostId): tears its overlay down, frees it',
      validator: (input) => {
        const { hostId } = parseOrFail(removeHostInputSchema, input);
        notDeleting();
        if (!state.host(hostId))
          fail(ErrorType.HostNotInCluster, `host ${hostId} is not in cluster ${state.name}`);
      },
    },
  );

  setHandler(changeOverlayUpdate, () => state.view(), {
    description:
      'PATCH /v1/clusters/:name: refused (409) for any change, overlay CIDR, VNI and mode are immutable',
    validator: (input) => {
      const want = parseOrFail(changeOverlayInputSchema, input);
      const { spec } = state;
      const changes = (['overlayCidr', 'vni', 'mode'] as const)
        .filter((k) => want[k] !== undefined && want[k] !== spec[k])
        .map((k) => ({ path: k, message: `${k} is immutable (is ${spec[k]}, requested ${want[k]})` }));
      if (changes.length > 0) {
        fail(ErrorType.OverlayImmutable, changes.map((c) => c.message).join('; '), changes);
      }
    },
  });

  setHandler(
    admitClusterUpdate,
    async () => {
      Admission.failWith(await admission.admit());
      return state.view();
    },
    {
      description: 'Admission (POST /v1/clusters, update-with-start): claims every requested host or none',
      validator: (input) => {
        admission.checkSameRequest(parseOrFail(clusterInputSchema, input));
      },
    },
  );

  // No argument: anything passed is refused rather than ignored.
  const noArguments = (...args: unknown[]) => {
    if (args.some((a) => a !== undefined)) fail(ErrorType.InvalidInput, 'deleteCluster takes no argument');
  };
  setHandler(
    deleteClusterUpdate,
    () => {
      if (state.markDeleting()) {
        state.refreshStatus();
        wake();
      }
      return state.view();
    },
    {
      description: 'Delete the cluster (DELETE /v1/clusters/:name): tears the overlay down on every host',
      validator: noArguments as () => void,
    },
  );

  // Signals cannot fail their sender: a bad one is dropped with a MessageRejected event, never stored.
  setHandler(
    underlayChangedSignal,
    (input) => {
      const change = safeParseSignal(state, 'underlayChanged', underlayChangedInputSchema, input);
      if (change) noteUnderlay(state, change.hostId, change.underlayIp, wake, change.seq);
    },
    {
      description: "A host's new underlay address (its agent's report, newest seq wins): peers are re-pushed",
    },
  );

  setHandler(
    underlayChangesSignal,
    (input) => {
      const batch = safeParseSignal(state, 'underlayChanges', underlayChangesInputSchema, input);
      for (const entry of batch?.changes ?? []) {
        const change = safeParseSignal(state, 'underlayChanges', underlayChangedInputSchema, entry);
        if (change) noteUnderlay(state, change.hostId, change.underlayIp, wake, change.seq);
      }
    },
    {
      description:
        "Several hosts' new underlay addresses at once (the relay's batch): as underlayChanged each",
    },
  );

  // v2: liveness transitions from the broker (relayed by the host workflow), never a heartbeat stream.
  setHandler(
    hostPresenceSignal,
    (input) => {
      const parsed = safeParseSignal(state, 'hostPresence', hostPresenceInputSchema, input);
      if (!parsed || !state.host(parsed.hostId)) return;
      if (!parsed.online) {
        if (state.markOffline(parsed.hostId)) wake();
        return;
      }
      state.noteSeen(parsed.hostId);
      if (state.recover(parsed.hostId, undefined)) wake(); // it may have rebooted: its table is pushed again
    },
    { description: "A host went offline or came back (the broker's Last Will / online status)" },
  );

  // Since 'site-vip-election': the hosts report the VIP's holder. A cluster whose control plane places the
  // VIP itself has no election to hear from (a stray report is only logged).
  setHandler(
    vipReportSignal,
    (input) => {
      if (siteVip) siteVip.onReport(input);
      else log.warn('VIP report for a cluster without a site election', { cluster: state.name });
    },
    { description: 'A control-plane host gained or lost the VIP (the site election): vipHolder, VipMoved' },
  );

  setHandler(hostHeartbeatSignal, (beat) => {
    const parsed = safeParseSignal(state, 'hostHeartbeat', hostHeartbeatInputSchema, beat);
    const host = parsed ? state.host(parsed.hostId) : undefined;
    if (!parsed || !host) return;
    state.noteSeen(host.hostId);
    if (state.recover(host.hostId, parsed.underlayIp)) wake(); // it may have rebooted: its table is pushed again
    if (parsed.underlayIp !== undefined) noteUnderlay(state, host.hostId, parsed.underlayIp, wake);
  });
}

/** Coalesces: only the newest address per host waits for the next reconciliation. */
function noteUnderlay(
  state: ClusterState,
  hostId: string,
  underlayIp: string,
  wake: () => void,
  seq?: number,
): void {
  const host = state.host(hostId);
  if (!host || host.state === 'Removing') {
    log.warn('underlay change for a host not in the cluster', { hostId, cluster: state.name });
    return;
  }
  if (state.noteUnderlay(hostId, underlayIp, seq)) wake();
}
