// Atomic admission (since 'control-plane-truth'): every requested host is claimed before POST /v1/clusters
// answers. The API sends admitClusterUpdate with update-with-start; the main body admits too (a workflow
// started some other way), and both share one claim run. All or nothing: one refused claim gives back the
// others and the cluster is not created, so of concurrent creates that share a host exactly one is admitted.
import { patched } from '@temporalio/workflow';
import { summarizeMap } from '../domain/event-log.js';
import { memberUnderlayOf, underlayOverlapProblems } from '../domain/underlay-overlap.js';
import { ErrorType } from '../domain/errors.js';
import type { ClusterState } from './cluster-state.js';
import type { ClusterInput } from '../contract/workflow-messages.js';
import type { ClaimResult } from '../activities/control/index.js';
import { describeFailure } from './failures.js';
import { claimHosts, releaseClaim } from './membership.js';
import { fail } from './validate.js';

/** Since 'admission-underlay-check': the members' underlay as their agents reported it is checked against the
 * overlay CIDR once every host is claimed (the API checked the registry's memo before; this is the
 * registry's own word, after the claim), and a collision refuses the create like a refused claim. */
export const ADMISSION_UNDERLAY_PATCH = 'admission-underlay-check';

export type AdmissionOutcome =
  | { ok: true }
  | {
      ok: false;
      errorType: string;
      message: string;
      hostId: string;
      cluster?: string;
      /** Field-level reasons (the API's 400 `errors`). */
      fieldErrors?: Array<{ path: string; message: string }>;
    };

export class Admission {
  private run: Promise<AdmissionOutcome> | null = null;

  constructor(
    private readonly state: ClusterState,
    private readonly input: ClusterInput,
  ) {}

  admit(): Promise<AdmissionOutcome> {
    this.run ??= this.claim();
    return this.run;
  }

  /** A second create of the same name is the same request only if it asks for the same cluster. */
  checkSameRequest(other: ClusterInput): void {
    const key = (i: ClusterInput) =>
      JSON.stringify([i.name, i.overlayCidr, i.vni, i.mode, i.hosts.map((h) => [h.hostId, h.role])]);
    if (key(other) !== key(this.input)) {
      fail(ErrorType.ClusterExists, `cluster ${this.input.name} already exists with a different spec`);
    }
  }

  /** Fails the caller with the refusal (type and host), as an update handler does. */
  static failWith(outcome: AdmissionOutcome): void {
    if (outcome.ok) return;
    const details = { hostId: outcome.hostId, ...(outcome.cluster ? { cluster: outcome.cluster } : {}) };
    fail(outcome.errorType, outcome.message, outcome.fieldErrors ?? details);
  }

  private async claim(): Promise<AdmissionOutcome> {
    const { state } = this;
    let claims: ClaimResult[];
    try {
      claims = await claimInChunks(state);
    } catch (err) {
      // The registry could not be reached in time: give back whatever this cluster got, refuse the create.
      await Promise.all(state.hosts.map((h) => releaseClaim(state, h.hostId)));
      const { message } = describeFailure(err);
      state.record('ClusterRejected', { error: message.slice(0, 500) });
      return {
        ok: false,
        errorType: ErrorType.AdmissionFailed,
        message,
        hostId: state.hosts[0]?.hostId ?? '',
      };
    }
    const refused = claims.filter((c) => !c.ok);
    const first = refused[0];
    if (first && !first.ok) {
      await Promise.all(claims.filter((c) => c.ok).map((c) => releaseClaim(state, c.hostId)));
      const reasons: Record<string, string> = {};
      for (const c of refused) if (!c.ok) reasons[c.hostId] = `${c.errorType}: ${c.message}`;
      state.record('ClusterRejected', { refused: summarizeMap(reasons) }, first.hostId);
      const { errorType, message, hostId, cluster } = first;
      return { ok: false, errorType, message, hostId, ...(cluster ? { cluster } : {}) };
    }
    if (patched(ADMISSION_UNDERLAY_PATCH)) {
      const refusal = await refuseUnderlayOverlap(state, this.input, claims);
      if (refusal) return refusal;
    }
    for (const c of claims) if (c.ok) state.markClaimed(c.hostId, c.record);
    state.markInitialized();
    return { ok: true };
  }
}

/** Refuses (giving every claim back) when the overlay CIDR collides with a member's underlay subnet or the
 * control plane's address as a member reaches it; null when it does not. */
async function refuseUnderlayOverlap(
  state: ClusterState,
  input: ClusterInput,
  claims: ClaimResult[],
): Promise<AdmissionOutcome | null> {
  const members = claims.flatMap((c) => (c.ok ? [memberUnderlayOf(c.record)] : []));
  const problems = underlayOverlapProblems(input.overlayCidr, members);
  if (problems.length === 0) return null;
  await Promise.all(claims.filter((c) => c.ok).map((c) => releaseClaim(state, c.hostId)));
  const message = `invalid overlay configuration: ${problems.join('; ')}`;
  state.record('ClusterRejected', { error: message.slice(0, 500) });
  return {
    ok: false,
    errorType: ErrorType.InvalidOverlayConfig,
    message,
    hostId: members[0]?.hostId ?? '',
    fieldErrors: problems.map((m) => ({ path: 'overlayCidr', message: m })),
  };
}

/** Claims per activity: each claim is a workflow update on `host/<id>`; 1000 in one activity outlived its
 * 15 s start-to-close (measured by bench:api), so large clusters are claimed by parallel activities. */
export const CLAIM_CHUNK = 50;

async function claimInChunks(state: ClusterState): Promise<ClaimResult[]> {
  const hosts = state.hosts;
  const chunks: (typeof hosts)[] = [];
  for (let i = 0; i < hosts.length; i += CLAIM_CHUNK) chunks.push(hosts.slice(i, i + CLAIM_CHUNK));
  return (await Promise.all(chunks.map((c) => claimHosts(state, c)))).flat();
}
