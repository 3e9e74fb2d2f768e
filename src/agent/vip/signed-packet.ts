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

/**
 * `check`: optional, a hand-written test that is true exactly when the schema accepts a value that has
 * no defaults or transforms to apply (advert-check.ts); used instead of the schema on both ways, where
 * zod's cost per packet matters (the VIP adverts, ~30 a second).
 */
export function signedPacketCodec<S extends z.ZodType>(
  magic: Buffer,
  maxBytes: number,
  schema: S,
  check?: (v: unknown) => v is z.infer<S>,
): SignedPacketCodec<z.infer<S>> {
  const signed = (payload: Buffer) => Buffer.concat([magic, payload]);
  const head = magic.length + SIGNATURE_BYTES;
  const valid = (v: unknown): z.infer<S> => {
    if (!check) return schema.parse(v);
    if (check(v)) return v;
    schema.parse(v); // throws zod's error, with the reason
    throw new Error('packet fields rejected by their check');
  };
  return {
    encode(msg, key) {
      const payload = Buffer.from(JSON.stringify(valid(msg)), 'utf8');
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
      let msg: z.infer<S>;
      if (check) {
        if (!check(json)) return { ok: false, reason: 'invalid-fields' };
        msg = json;
      } else {
        const parsed = schema.safeParse(json);
        if (!parsed.success) return { ok: false, reason: 'invalid-fields' };
        msg = parsed.data;
      }
      return { ok: true, unverified: { msg, payload, signature: packet.subarray(magic.length, head) } };
    },
    verify: (u, key) => verifyBytes(signed(u.payload), u.signature, key),
  };
}
