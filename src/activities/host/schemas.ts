// zod schemas of the host activities' inputs (the contract types in contract.ts, checked at runtime).
import { z } from 'zod';
import { DEFAULT_MULTICAST_GROUP, MAX_CLUSTER_HOSTS } from '../../domain/constants.js';
import {
  cidrSchema,
  clusterNameSchema,
  hostIdSchema,
  ipv4Schema,
  overlayModeSchema,
  vniSchema,
} from '../../domain/validation.js';

export const overlaySpecSchema = z
  .looseObject({
    clusterName: clusterNameSchema,
    overlayCidr: cidrSchema,
    prefixLength: z.number().int().min(8).max(30),
    vni: vniSchema,
    mode: overlayModeSchema,
    port: z.number().int().min(1).max(65535),
    group: ipv4Schema.optional(),
    vip: ipv4Schema,
  })
  .refine((s) => s.overlayCidr.endsWith(`/${s.prefixLength}`), {
    message: 'prefixLength must match overlayCidr',
    path: ['prefixLength'],
  });

export const peerSchema = z.object({ hostId: hostIdSchema, underlayIp: ipv4Schema, overlayIp: ipv4Schema });

export const applyOverlayInputSchema = z.object({ spec: overlaySpecSchema, overlayIp: ipv4Schema });
export const setPeersInputSchema = z.object({
  spec: overlaySpecSchema,
  peers: z.array(peerSchema).max(10_000),
});
export const vipInputSchema = z.object({ spec: overlaySpecSchema });
export const teardownInputSchema = vipInputSchema;
export const probePeersInputSchema = z.object({
  targets: z.array(ipv4Schema).max(MAX_CLUSTER_HOSTS),
  count: z.number().int().min(1).max(20).optional(),
  timeoutMs: z.number().int().min(50).max(30_000).optional(),
});

/** The multicast group of a spec (the default group when none is given). */
export const multicastGroup = (spec: { group?: string | undefined }): string =>
  spec.group ?? DEFAULT_MULTICAST_GROUP;
