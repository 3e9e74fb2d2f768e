// Decoding of broker payloads before their zod schema: never throws (a hostile payload is just invalid).

/** Larger than any legitimate host message (a probe result for 1000 peers is well under it). */
export const MAX_HOST_MESSAGE_BYTES = 1024 * 1024;

/** The JSON value of a payload, or undefined when it is too large or not JSON. */
export function parseJson(payload: Buffer): unknown {
  if (payload.length > MAX_HOST_MESSAGE_BYTES) return undefined;
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
