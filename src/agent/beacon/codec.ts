// Wire format of the underlay beacon (v2): "EOB2" | signature (64 bytes) | payload (UTF-8 JSON).
// The signature is the SENDER's own (keys.ts) over "EOB2" | payload, so nothing in the packet can be
// changed unnoticed and only the host holding the key can speak for its host id.
// Parsing and verifying are separate steps: the receiver must read the claimed host id to pick the
// public key, and runs cheap checks and its rate limit (verifier.ts) before paying for a signature check.
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { clusterNameSchema, hostIdSchema, ipv4Schema } from '../../domain/validation.js';
import { signedPacketCodec, type Unverified } from '../vip/signed-packet.js';

/** v1 ("EOB1", HMAC under a per-cluster key) is not understood any more: such packets are malformed. */
export const BEACON_MAGIC = Buffer.from('EOB2', 'ascii');
/** Far below any MTU: one beacon is always one unfragmented datagram. */
export const BEACON_MAX_BYTES = 512;

const counterSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export interface BeaconMessage {
  clusterName: string;
  hostId: string;
  underlayIp: string;
  overlayIp: string;
  /** Chosen once per agent start and larger than every earlier one of this host (epoch.ts). */
  epoch: number;
  /** 1, 2, 3… per beacon sent within the epoch. (epoch, counter) orders a host's beacons (replay.ts). */
  counter: number;
  /** The sender's underlay report sequence for underlayIp (reportSeqSchema); absent when it has none. */
  seq?: number;
}

const messageSchema = z.strictObject({
  clusterName: clusterNameSchema,
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  overlayIp: ipv4Schema,
  epoch: counterSchema,
  counter: counterSchema,
  seq: counterSchema.optional(),
});

/** The signed-packet form (vip/signed-packet.ts) the VIP advert uses too, with the beacon's magic and schema. */
const codec = signedPacketCodec(BEACON_MAGIC, BEACON_MAX_BYTES, messageSchema);

export const encodeBeacon = (msg: BeaconMessage, key: KeyObject): Buffer => codec.encode(msg, key);

/** A packet whose fields are well-formed but whose signature is NOT checked yet. */
export type UnverifiedBeacon = Unverified<BeaconMessage>;

export type ParseResult =
  | { ok: true; beacon: UnverifiedBeacon }
  | { ok: false; reason: 'malformed' | 'invalid-fields' };

/** Shape checks only (bounded size, magic, strict JSON schema); trust nothing in it before verifySigned. */
export function parseBeacon(packet: Buffer): ParseResult {
  const parsed = codec.parse(packet);
  return parsed.ok ? { ok: true, beacon: parsed.unverified } : parsed;
}

/** True when `key` (the claimed sender's public key from the peer table) signed exactly these bytes. */
export const verifySigned = (b: UnverifiedBeacon, key: KeyObject): boolean => codec.verify(b, key);
