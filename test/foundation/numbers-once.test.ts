// Limits and defaults live once, in src/domain/constants.ts: every schema that bounds the same thing
// imports them, and no other source file spells the number again.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probePeersInputSchema } from '../../src/activities/host/schemas.js';
import { hostListBody } from '../../src/api/schemas.js';
import { MAX_CLUSTER_HOSTS, MAX_VNI } from '../../src/domain/constants.js';
import { addHostsInputSchema, vniSchema } from '../../src/domain/validation.js';

const SRC = join(import.meta.dirname, '../../src');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('numbers defined once', () => {
  it.each([
    ['the host limit', /\.max\(1_?000\)/],
    ['the VNI maximum', /16_?777_?215|0xffffff/i],
    ['the beacon port', /\b4790\b/],
    ['the heartbeat default', /heartbeatMs \?\? 10_?000|HEARTBEAT_INTERVAL_S = 10\b/],
  ])('%s appears only in src/domain/constants.ts', (_what, pattern) => {
    const offenders = sources(SRC)
      .filter((f) => !f.endsWith(join('domain', 'constants.ts')))
      .filter((f) => pattern.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ hostId: `h${i}`, role: 'worker' }));

  it('every host-list schema accepts MAX_CLUSTER_HOSTS and refuses one more', () => {
    expect(hostListBody.safeParse(hosts(MAX_CLUSTER_HOSTS)).success).toBe(true);
    expect(hostListBody.safeParse(hosts(MAX_CLUSTER_HOSTS + 1)).success).toBe(false);
    expect(addHostsInputSchema.safeParse({ hosts: hosts(MAX_CLUSTER_HOSTS) }).success).toBe(true);
    expect(addHostsInputSchema.safeParse({ hosts: hosts(MAX_CLUSTER_HOSTS + 1) }).success).toBe(false);
    const targets = (n: number) => ({ targets: Array.from({ length: n }, () => '10.0.0.1') });
    expect(probePeersInputSchema.safeParse(targets(MAX_CLUSTER_HOSTS)).success).toBe(true);
    expect(probePeersInputSchema.safeParse(targets(MAX_CLUSTER_HOSTS + 1)).success).toBe(false);
  });

  it('the VNI schema accepts MAX_VNI (2^24 - 1) and refuses one more', () => {
    expect(MAX_VNI).toBe(2 ** 24 - 1);
    expect(vniSchema.safeParse(MAX_VNI).success).toBe(true);
    expect(vniSchema.safeParse(MAX_VNI + 1).success).toBe(false);
  });
});
