// A signed UDP packet: MAGIC | signature (64 bytes) | payload (UTF-8 JSON validated by a zod schema), the
// signature being the sender's own host key (beacon/keys.ts) over MAGIC | payload. The beacon
// (beacon/codec.ts, "EOB2") and the VIP advert ("EOV1") are both built on it. Shape checks and the signature check are separate steps so that a receiver
// reads the claimed sender first and runs its cheap checks before paying for the signature.
import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { SIGNATURE_BYTES, signBytes, verifyBytes } from '../beacon/keys.js';

export interface Unverified<T> {
  msg: T;
  payload: Buffer;
  signature: Buffer;
}

export type SignedParse<T> =
  | { ok: true; unverified: Unverified<T> }
  | { ok: false; reason: 'malformed' | 'invalid-fields' };

export interface SignedPacketCodec<T> {
  encode(msg: T, key: KeyObject): Buffer;
  /** Bounded size, magic, strict schema; trust nothing in it before `verify`. */
  parse(packet: Buffer): SignedParse<T>;
  /** True when `key` (the claimed sender's public key) signed exactly these bytes. */
  verify(u: Unverified<T>, key: KeyObject): boolean;
}

export function signedPacketCodec<S extends z.ZodType>(
  magic: Buffer,
  maxBytes: number,
  schema: S,
): SignedPacketCodec<z.infer<S>> {
  const signed = (payload: Buffer) => Buffer.concat([magic, payload]);
  const head = magic.length + SIGNATURE_BYTES;
  return {
    encode(msg, key) {
      const payload = Buffer.from(JSON.stringify(schema.parse(msg)), 'utf8');
      const packet = Buffer.concat([magic, signBytes(signed(payload), key), payload]);
      if (packet.length > maxBytes)
        throw new Error(`packet too large (${packet.length} > ${maxBytes} bytes)`);
      return packet;
    },
    parse(packet) {
      if (packet.length <= head || packet.length > maxBytes) return { ok: false, reason: 'malformed' };
      if (!packet.subarray(0, magic.length).equals(magic)) return { ok: false, reason: 'malformed' };
      const payload = packet.subarray(head);
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        return { ok: false, reason: 'invalid-fields' };
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return { ok: false, reason: 'invalid-fields' };
      return {
        ok: true,
        unverified: { msg: parsed.data, payload, signature: packet.subarray(magic.length, head) },
      };
    },
    verify: (u, key) => verifyBytes(signed(u.payload), u.signature, key),
  };
}
