// zod schemas of the host activities' inputs (the contract types in contract.ts, checked at runtime).
import { z } from 'zod';
import { DEFAULT_MULTICAST_GROUP, MAX_CLUSTER_HOSTS } from '../../domain/constants.js';
import { siteVipPolicySchema } from '../../domain/site-vip.js';
import { ipv4Schema, overlaySpecSchema, peerSchema } from '../../domain/validation.js';

// The spec and peer shapes are domain schemas: workflows check continue-as-new input with them too.
export { overlaySpecSchema, peerSchema };

/** preflight's input is optional (absent in old histories and at the agent's own start). */
export const preflightInputSchema = z.object({ spec: overlaySpecSchema.optional() }).optional();
export const applyOverlayInputSchema = z.object({ spec: overlaySpecSchema, overlayIp: ipv4Schema });
export const setPeersInputSchema = z.object({
  spec: overlaySpecSchema,
  peers: z.array(peerSchema).max(10_000),
  version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  probe: z.boolean().optional(),
  /** Control-plane hosts under 'site-vip-election': the site VIP election's policy (domain/site-vip.ts). */
  vip: siteVipPolicySchema.optional(),
});
export const vipInputSchema = z.object({ spec: overlaySpecSchema });
export const teardownInputSchema = vipInputSchema;
export const resetInputSchema = z.strictObject({ reason: z.string().max(200).optional() });
export const probePeersInputSchema = z.object({
  targets: z.array(ipv4Schema).max(MAX_CLUSTER_HOSTS),
  count: z.number().int().min(1).max(20).optional(),
  timeoutMs: z.number().int().min(50).max(30_000).optional(),
});

/** The multicast group of a spec (the default group when none is given). */
export const multicastGroup = (spec: { group?: string | undefined }): string =>
  spec.group ?? DEFAULT_MULTICAST_GROUP;
