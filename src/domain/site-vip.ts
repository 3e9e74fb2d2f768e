// The site VIP election as the control plane sees it (issue 13): the policy it sends to the control-plane
// hosts with their peer table, and the reports the hosts send back when one of them gains or loses the VIP.
// Pure: shared by the workflows, the control worker's relay and the agent. The election itself runs on the
// hosts (src/agent/vip/); the control plane only decides WHO may hold the VIP and who counts for the
// majority, and records what the hosts report.
import { z } from 'zod';
import { clusterNameSchema, hostIdSchema } from './validation.js';

/** etcd advises 3, 5 or 7 members; 9 keeps the largest advert one small unfragmented datagram. Control-plane
 * hosts past the ninth (in the order of the create request) neither vote nor hold the VIP. */
export const MAX_VIP_VOTERS = 9;
export const DEFAULT_ADVERT_INTERVAL_MS = 100;
/** Failover takes ~6.5 A (the old holder's adverts must age past W_s = 6 A, src/agent/vip/policy.ts):
 * slower adverts would stretch it past issue 13's 2 s. (It was 1 s, and any A over ~180 ms also made
 * the holder's lease renewals come too late for the 1 s kernel lifetime, so a holder lost its VIP.) */
export const MAX_ADVERT_INTERVAL_MS = 250;
/** Faster than this, adverts cost more than they buy. */
export const MIN_ADVERT_INTERVAL_MS = 20;
export const MAX_PRIORITY = 65_535;

const unique = (ids: readonly string[]): boolean => new Set(ids).size === ids.length;

/** The policy fields, unrefined: the agent's own policy (src/agent/vip/policy.ts) extends them with the
 * cluster name and the VIP. */
export const siteVipPolicyFields = z.strictObject({
  /** Newer wins: an agent never replaces a policy by an older one. */
  policyVersion: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  advertIntervalMs: z
    .number()
    .int()
    .min(MIN_ADVERT_INTERVAL_MS)
    .max(MAX_ADVERT_INTERVAL_MS)
    .default(DEFAULT_ADVERT_INTERVAL_MS),
  /** The control-plane hosts: the majority is counted over these. */
  voters: z.array(hostIdSchema).min(1).max(MAX_VIP_VOTERS).refine(unique, 'voters must be unique'),
  /** Who may hold the VIP (Joined control-plane hosts), each with its priority (higher wins). */
  eligible: z
    .array(z.strictObject({ hostId: hostIdSchema, priority: z.number().int().min(0).max(MAX_PRIORITY) }))
    .max(MAX_VIP_VOTERS)
    .refine((e) => unique(e.map((x) => x.hostId)), 'eligible hosts must be unique'),
});

/** Every eligible host must be a voter (a refinement for any schema with the policy fields). */
export function eligibleAreVoters<T extends z.ZodType<{ voters: string[]; eligible: { hostId: string }[] }>>(
  schema: T,
): T {
  return schema.refine((p) => p.eligible.every((e) => p.voters.includes(e.hostId)), {
    message: 'every eligible host must be a voter',
    path: ['eligible'],
  });
}

/** The policy part of setPeers for a control-plane host (the cluster name and the VIP come from its spec). */
export const siteVipPolicySchema = eligibleAreVoters(siteVipPolicyFields);
export type SiteVipPolicy = z.infer<typeof siteVipPolicySchema>;
export type SiteVipPolicyInput = z.input<typeof siteVipPolicySchema>;

/** Why a host gained or lost the VIP (the election's reasons, src/agent/vip/election-types.ts VipReason,
 * plus Stopped: the agent released it because its membership ended or it was told to stop). */
export const siteVipReasons = [
  'Initial',
  'HolderLost',
  'HolderReleased',
  'QuorumLost',
  'Outranked',
  'Conflict',
  'NotEligible',
  'LeaseExpired',
  'Stopped',
] as const;
export type SiteVipReason = (typeof siteVipReasons)[number];

/** host → control, QoS 1 (queued by the agent while it is offline, so a transition made while the control
 * plane was unreachable is reported once it is reachable again). The host is the topic's, never the payload's. */
export const vipReportSchema = z.strictObject({
  cluster: clusterNameSchema,
  /** Per-host, strictly increasing over the agent's life (reportSeqSchema): an older report is ignored. */
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** The kernel's truth after the transition: this host holds the VIP now (true) or no longer (false). */
  holding: z.boolean(),
  reason: z.enum(siteVipReasons),
  /** The host's wall clock at the transition (epoch ms): shown, never used to order reports across hosts. */
  at: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** The policy the host elected under. */
  policyVersion: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export type VipReport = z.infer<typeof vipReportSchema>;

/** What the relay signals to the host's cluster workflow: the report plus the host it came from (topic). */
export const vipReportSignalSchema = vipReportSchema.extend({ hostId: hostIdSchema });
export type VipReportSignal = z.infer<typeof vipReportSignalSchema>;
