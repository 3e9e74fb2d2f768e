// Optional network namespace for every wrapper (tests): `ip -n NS`, `bridge -n NS`, `ip netns exec NS cmd`.
import { z } from 'zod';

export const netnsNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a netns name (letters, digits, . _ -)');

/** `-n NS` for ip and bridge, nothing in the current namespace. */
export const nsFlag = (netns: string | undefined): string[] =>
  netns === undefined ? [] : ['-n', netnsNameSchema.parse(netns)];

/** A command that has no `-n` flag, run in NS through `ip netns exec` (which execs, no extra fork). */
export function inNetns(netns: string | undefined, file: string, args: string[]): [string, string[]] {
  if (netns === undefined) return [file, args];
  return ['ip', ['netns', 'exec', netnsNameSchema.parse(netns), file, ...args]];
}
