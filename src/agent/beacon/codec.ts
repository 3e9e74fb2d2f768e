// Wire format of the underlay beacon: "EOB1" | HMAC-SHA256(key, "EOB1" | payload) | payload (UTF-8 JSON).
// The MAC covers the magic and every payload byte, so nothing in the packet can be changed unnoticed.
// No I/O here: encode/decode/verify are pure functions of their inputs (the clock is an argument).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { clusterNameSchema, hostIdSchema, ipv4Schema } from '../../domain/validation.js';

export const BEACON_MAGIC = Buffer.from('EOB1', 'ascii');
const MAC_LENGTH = 32;
/** Far below any MTU: one beacon is always one unfragmented datagram. */
export const BEACON_MAX_BYTES = 512;
export const BEACON_MIN_KEY_BYTES = 32;

export interface BeaconMessage {
  clusterName: string;
  hostId: string;
  underlayIp: string;
  overlayIp: string;
  /** Strictly increasing per sender, also across restarts (seeded from the wall clock, see nextSeq). */
  seq: number;
  /** Sender's wall clock, ms since the epoch. */
  ts: number;
  /** 16 random bytes, hex: two beacons never share a MAC input even with equal seq. */
  nonce: string;
}

const messageSchema = z.strictObject({
  clusterName: clusterNameSchema,
  hostId: hostIdSchema,
  underlayIp: ipv4Schema,
  overlayIp: ipv4Schema,
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  ts: z.number().int().nonnegative(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
});

/** The cluster key as bytes; rejects keys too short to be a secret. */
export function parseBeaconKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'base64url');
  if (bytes.length < BEACON_MIN_KEY_BYTES)
    throw new Error(`beacon key must be at least ${BEACON_MIN_KEY_BYTES} bytes (base64url)`);
  return bytes;
}

function mac(key: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(BEACON_MAGIC).update(payload).digest();
}

export function encodeBeacon(msg: BeaconMessage, key: Buffer): Buffer {
  const payload = Buffer.from(JSON.stringify(messageSchema.parse(msg)), 'utf8');
  const packet = Buffer.concat([BEACON_MAGIC, mac(key, payload), payload]);
  if (packet.length > BEACON_MAX_BYTES) throw new Error(`beacon too large (${packet.length} bytes)`);
  return packet;
}

export type DecodeResult =
  | { ok: true; msg: BeaconMessage }
  | { ok: false; reason: 'malformed' | 'bad-mac' | 'invalid-fields' };

/** Authenticates first (constant-time compare), parses the JSON only when the MAC is right. */
export function decodeBeacon(packet: Buffer, key: Buffer): DecodeResult {
  const head = BEACON_MAGIC.length + MAC_LENGTH;
  if (packet.length <= head || packet.length > BEACON_MAX_BYTES) return { ok: false, reason: 'malformed' };
  if (!packet.subarray(0, BEACON_MAGIC.length).equals(BEACON_MAGIC))
    return { ok: false, reason: 'malformed' };
  const payload = packet.subarray(head);
  if (!timingSafeEqual(packet.subarray(BEACON_MAGIC.length, head), mac(key, payload)))
    return { ok: false, reason: 'bad-mac' };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid-fields' };
  }
  const parsed = messageSchema.safeParse(json);
  return parsed.success ? { ok: true, msg: parsed.data } : { ok: false, reason: 'invalid-fields' };
}

/**
 * Next sequence number: ms wall clock * 1000, or previous + 1 if the clock has not moved on.
 * Seeding from the clock keeps seq increasing across agent restarts without persisting it.
 */
export function nextSeq(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs) * 1000);
}
