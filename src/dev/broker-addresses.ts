// Which addresses the dev broker's certificate names, which URL the control plane dials and which URL
// agents are told at enrollment. Pure. Agents check the broker by its fixed name (BROKER_SERVER_NAME), so
// the advertised address only has to reach it: a lab's control namespace, a NAT, a forwarded port.
import { isIP } from 'node:net';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const DNS_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Extra names/addresses for the server certificate (the broker adds its fixed name, localhost and
 * 127.0.0.1 itself); wildcard listen addresses name nothing. */
export function brokerServerNames(hosts: ReadonlyArray<string | undefined>): {
  dnsNames: string[];
  ips: string[];
} {
  const dnsNames = new Set<string>();
  const ips = new Set<string>();
  for (const h of hosts) {
    if (h === undefined || WILDCARDS.has(h)) continue;
    if (isIP(h)) ips.add(h);
    else if (DNS_NAME.test(h)) dnsNames.add(h.toLowerCase());
  }
  return { dnsNames: [...dnsNames], ips: [...ips] };
}

/** A listen address as something a client can dial: a wildcard means this machine's loopback. */
export const dialHost = (listenHost: string): string =>
  WILDCARDS.has(listenHost) ? '127.0.0.1' : listenHost;

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** `mqtts://HOST:PORT` from a host (IPv6 bracketed) and port. */
export const mqttsUrl = (host: string, port: number): string => `mqtts://${urlHost(host)}:${port}`;

/**
 * What agents dial: `advertise` is HOST or HOST:PORT (e.g. a lab's control namespace address that
 * forwards to this broker; `[v6]:PORT` for IPv6); without it, the listen host (loopback for a wildcard)
 * on the broker's port. Throws a clear error for anything else.
 */
export function advertisedBrokerUrl(listenHost: string, port: number, advertise?: string): string {
  if (advertise === undefined || advertise === '') return mqttsUrl(dialHost(listenHost), port);
  const withPort = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(advertise);
  const host = withPort ? withPort[1]!.replace(/^\[|\]$/g, '') : advertise;
  const p = withPort ? Number(withPort[2]) : port;
  if ((!isIP(host) && !DNS_NAME.test(host)) || WILDCARDS.has(host) || p < 1 || p > 65535) {
    throw new Error(
      `broker address to advertise must be HOST or HOST:PORT, got ${JSON.stringify(advertise)}`,
    );
  }
  return mqttsUrl(host, p);
}

/** The host part of `advertise` (for the certificate's names), or undefined. */
export function advertisedHost(advertise?: string): string | undefined {
  if (!advertise) return undefined;
  return new URL(advertisedBrokerUrl('127.0.0.1', 1, advertise)).hostname.replace(/^\[|\]$/g, '');
}
