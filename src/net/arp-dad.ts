// Duplicate-address detection for the VIP (RFC 5227 style): an ARP request from 0.0.0.0 for the address
// on the device; any host that holds it answers (Linux answers a probe for a local address even with a
// zero sender IP), and the zero sender keeps the probe out of everyone's neighbour cache.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { iface, ipv4 } from './check.js';
import { inNetns } from './ns.js';
import { arpingVariant } from './probe.js';
import { CommandError, type Runner } from './runner.js';

export interface DadResult {
  /** Someone answered for the address: it is in use. */
  answered: boolean;
  /** Wall time of the probe, arping's start and exit included (ms). */
  elapsedMs: number;
}

/**
 * Habets (Debian): arping -q -0 -c 1 -C 1 -w SEC -i DEV IP — -C 1 exits at the first reply (without it
 * arping waits out -w even after one); exit 0 = answered, 1 = no reply. -w takes fractions of a second.
 * iputils: arping -q -D -f -c 1 -w SEC -I DEV IP — exit 0 = no reply, 1 = answered; its -w is an int
 * (whole seconds, so the deadline rounds up to 1 s there).
 * Habets exits 1 also when it could not probe (no such device, device down); with -q a real
 * "no reply" prints nothing, so exit 1 with stderr throws, as does any other exit code.
 */
export async function arpingDad(
  r: Runner,
  dev: string,
  ip: string,
  deadlineMs: number,
  netns?: string,
): Promise<DadResult> {
  const d = iface(dev);
  const a = ipv4(ip);
  const ms = z.number().int().min(10).max(10_000).parse(deadlineMs);
  const habets = (await arpingVariant(r, netns)) === 'habets';
  const argv = habets
    ? ['-q', '-0', '-c', '1', '-C', '1', '-w', (ms / 1000).toFixed(3), '-i', d, a]
    : ['-q', '-D', '-f', '-c', '1', '-w', String(Math.ceil(ms / 1000)), '-I', d, a];
  const [file, args] = inNetns(netns, 'arping', argv);
  const t0 = performance.now();
  const res = await r.run(file, args, { reject: false, timeoutMs: ms + 5000 });
  const elapsedMs = performance.now() - t0;
  const failed = res.exitCode > 1 || res.exitCode < 0 || (habets && res.exitCode === 1 && res.stderr.trim());
  if (failed) throw new CommandError([file, ...args], res.exitCode, res.stderr || res.stdout);
  return { answered: habets ? res.exitCode === 0 : res.exitCode === 1, elapsedMs };
}
