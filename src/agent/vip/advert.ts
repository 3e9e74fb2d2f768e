// Wire format of the VIP election advert: "EOV1" | signature (64 bytes) | payload (UTF-8 JSON).
// Same construction as the beacon (beacon/codec.ts): the signature is the SENDER's own host key
// (beacon/keys.ts, Ed25519 or P-256) over "EOV1" | payload, so only the host holding the key can speak for
// its host id, and no bit of the packet changes unnoticed. Parsing and verifying are separate steps: the
// receiver reads the claimed host id to pick the key and runs the cheap checks first (advert-verifier.ts).
// The generic packet form lives in signed-packet.ts; advert-check.ts is the schema's fast twin.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { clusterNameSchema, hostIdSchema } from '../../domain/validation.js';
import { MAX_PRIORITY, MAX_VIP_VOTERS } from '../../domain/site-vip.js';
import { isAdvert } from './advert-check.js';
import { type SignedParse, signedPacketCodec, type Unverified } from './signed-packet.js';

export const ADVERT_MAGIC = Buffer.from('EOV1', 'ascii');
/** The largest legal advert (9 voters with 63-character ids) is ~1.1 KB: one unfragmented datagram on any
 * underlay with an MTU of 1280 or more. */
export const ADVERT_MAX_BYTES = 1200;

const positive = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A vote names one BALLOT of one host: (hostId, epoch, gen), plus the newest counter of that host the
 * voter had received and how long before this advert it received it. The owner knows when it sent that
 * counter, so sent + ageMs is a lower bound of when the voter sent the vote, on the owner's own clock
 * (only durations cross hosts, never timestamps): the vote's lease starts there (peers.ts). */
export const voteSchema = z.strictObject({
  hostId: hostIdSchema,
  epoch: positive,
  gen: positive,
  counter: positive,
  ageMs: z.number().int().min(0).max(3_600_000),
});
export type Vote = z.infer<typeof voteSchema>;

export const advertSchema = z.strictObject({
  clusterName: clusterNameSchema,
  hostId: hostIdSchema,
  /** Per agent start, larger than every earlier one of this host (beacon/epoch.ts). */
  epoch: positive,
  /** 1, 2, 3… per advert within the epoch: (epoch, counter) orders a host's adverts (beacon/replay.ts). */
  counter: positive,
  policyVersion: positive,
  /** The sender's priority under its policy; absent when it is not eligible. Informational. */
  priority: z.number().int().min(0).max(MAX_PRIORITY).optional(),
  /** The sender's ballot number within its epoch: raised whenever it gives up a claim or candidacy. */
  gen: positive,
  /** The kernel truth of the sender (or a claim it has just issued). */
  holding: z.boolean(),
  /** The sender is a candidate: eligible, past its hold-down, and seen by a majority of the voters. */
  quorum: z.boolean(),
  /** Voters whose advert (same policy version) the sender received within W_s. */
  sees: z.array(hostIdSchema).max(MAX_VIP_VOTERS),
  /** Absent: the sender abstains. */
  vote: voteSchema.optional(),
});
export type VipAdvert = z.infer<typeof advertSchema>;

const codec = signedPacketCodec(ADVERT_MAGIC, ADVERT_MAX_BYTES, advertSchema, isAdvert);

export type UnverifiedAdvert = Unverified<VipAdvert>;
export type AdvertParseResult = SignedParse<VipAdvert>;

export const encodeAdvert = (advert: VipAdvert, key: KeyObject): Buffer => codec.encode(advert, key);
/** Shape checks only (bounded size, magic, strict JSON schema); trust nothing in it before verifyAdvert. */
export const parseAdvert = (packet: Buffer): AdvertParseResult => codec.parse(packet);
/** True when `key` (the claimed sender's public key from the peer table) signed exactly these bytes. */
export const verifyAdvert = (u: UnverifiedAdvert, key: KeyObject): boolean => codec.verify(u, key);
