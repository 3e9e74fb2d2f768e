// Addresses with a kernel lifetime (the VIP lease): the kernel deletes the address by itself when
// valid_lft runs out, so a holder that stops renewing (a dead agent) loses it without help.
// Beware (measured, devinet.c): for IPv4 `ip addr change` CREATES a missing address (the kernel ignores
// NLM_F_CREATE), so a renewal after the lifetime ran out re-adds it; callers must not renew late
// (src/agent/vip/kernel-lease.ts refuses to).
import { z } from 'zod';
import { iface, int, ipv4Prefix } from './check.js';
import { nsFlag } from './ns.js';
import type { Runner } from './runner.js';

/** The longest lifetime accepted: the lease is meant to be short (the kernel's own maximum is ~136 y). */
const MAX_LIFETIME_S = 3600;

/** `addr VERB IP/N dev DEV valid_lft S preferred_lft S` (argv after `ip`), for exec and for ip -batch. */
export function addrLifetimeArgs(
  verb: 'add' | 'replace' | 'change',
  dev: string,
  ip: string,
  prefixLength: number,
  lifetimeS: number,
): string[] {
  const s = int(lifetimeS, 1, MAX_LIFETIME_S);
  return ['addr', verb, ipv4Prefix(ip, prefixLength), 'dev', iface(dev), 'valid_lft', s, 'preferred_lft', s];
}

/** `addr del IP/N dev DEV` (argv after `ip`). */
export const addrDelArgs = (dev: string, ip: string, prefixLength: number): string[] => [
  'addr',
  'del',
  ipv4Prefix(ip, prefixLength),
  'dev',
  iface(dev),
];

/** `addr show dev DEV to IP/N` (argv after `ip`, with -j): lists only that address. */
export const addrShowArgs = (dev: string, ip: string, prefixLength: number): string[] => [
  'addr',
  'show',
  'dev',
  iface(dev),
  'to',
  ipv4Prefix(ip, prefixLength),
];

const showSchema = z.array(
  z.object({
    addr_info: z
      .array(z.object({ local: z.string().optional(), prefixlen: z.number().optional() }))
      .default([]),
  }),
);

/** Whether `ip -j addr show` output lists IP/N (filtered entries show as {} in ip's JSON). */
export function addrListed(json: string, ip: string, prefixLength: number): boolean {
  return showSchema
    .parse(JSON.parse(json || '[]'))
    .some((l) => l.addr_info.some((a) => a.local === ip && a.prefixlen === prefixLength));
}

/**
 * ip addr replace|change IP/N dev DEV valid_lft S preferred_lft S: replace adds or restarts the lifetime;
 * change restarts it and (see the file comment) also creates the address when it is missing.
 */
export async function addrSetLifetime(
  r: Runner,
  verb: 'replace' | 'change',
  dev: string,
  ip: string,
  prefixLength: number,
  lifetimeS: number,
  netns?: string,
): Promise<void> {
  await r.run('ip', [...nsFlag(netns), ...addrLifetimeArgs(verb, dev, ip, prefixLength, lifetimeS)]);
}

/** ip -j addr show dev DEV to IP/N: is the address on the device (false when the device is gone)? */
export async function addrPresent(
  r: Runner,
  dev: string,
  ip: string,
  prefixLength: number,
  netns?: string,
): Promise<boolean> {
  const res = await r.run('ip', [...nsFlag(netns), '-j', ...addrShowArgs(dev, ip, prefixLength)], {
    reject: false,
  });
  return res.exitCode === 0 && addrListed(res.stdout, ip, prefixLength);
}
