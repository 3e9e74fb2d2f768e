// Broker addresses and container paths as the production commands take them (flags and environment).
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BROKER_PORT } from '../contract/host-channel.js';

const EXAMPLE = 'mqtts://broker.example.com:8883';
const WILDCARDS = new Set(['0.0.0.0', '[::]']);

/** `mqtts://HOST[:PORT]` → `mqtts://HOST:PORT` (port 8883 when left out). TLS only: there is no plain
 * MQTT listener anywhere, and a wildcard address is where something listens, not what a client dials. */
export const mqttsUrlSchema = z.string().transform((value, ctx): string => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  const bad = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (url?.protocol !== 'mqtts:' || !url.hostname) return bad(`must be mqtts://HOST:PORT, e.g. ${EXAMPLE}`);
  if (url.username || url.password || (url.pathname && url.pathname !== '/') || url.search || url.hash)
    return bad(`must be mqtts://HOST:PORT with nothing after the port, e.g. ${EXAMPLE}`);
  if (WILDCARDS.has(url.hostname)) return bad('must name an address clients can dial, not a wildcard');
  return `mqtts://${url.hostname}:${url.port || DEFAULT_BROKER_PORT}`;
});

/** A path inside another container (the broker's mounts): only an absolute one means anything there. */
export const absolutePathSchema = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p), 'must be an absolute path');

/** Host and port of an mqtts URL the schema above accepted (IPv6 without brackets). */
export function brokerUrlParts(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || DEFAULT_BROKER_PORT) };
}
