// `npm run bench:vip` end to end in CI (issue 13 acceptance: the bench runs in .ci/run): 3 electors in
// network namespaces, three runs of each fault (power-off, SIGKILL, isolate), the 50 ms kernel checker over
// all of it. Asserts issue 13's goals: never two holders, no cut-off host keeping the VIP, every failover
// within 2 s, a median within 1 s after power-off and isolation (~0.7 s here: room for a loaded CI), one
// holder within 1 s of a heal. The seed is printed: `npm run bench:vip -- --seed N` repeats the phases.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { notRoot } from '../helpers/netns-lab.js';

const RUNS = 3;

const fault = z.object({
  runs: z.literal(RUNS),
  failoverMs: z.object({ n: z.number(), median: z.number(), max: z.number() }),
  minorityHeld: z.number().int(),
  neverSettled: z.number().int(),
});
const resultSchema = z.object({
  mode: z.literal('electors alone'),
  hosts: z.literal(3),
  seed: z.number().int(),
  byFault: z.object({
    'power-off': fault,
    sigkill: fault,
    isolate: fault.extend({ healMet: z.boolean() }),
  }),
  samples: z.number().int(),
  violations: z.number().int(),
  minorityHeld: z.number().int(),
});

describe.skipIf(notRoot('bench:vip'))('bench:vip (netns, root)', () => {
  it('three runs per fault: never two holders, failover median ≤ 1 s and max ≤ 2 s', async () => {
    const { stdout } = await execa('npx', ['tsx', 'bench/vip.ts', '--runs', String(RUNS)], {
      timeout: 170_000,
      reject: false,
    });
    const result = resultSchema.parse(JSON.parse(stdout));
    console.log(`[bench:vip] seed ${result.seed} ${JSON.stringify(result.byFault)}`);
    expect(result.samples).toBeGreaterThan(100);
    expect(result.violations).toBe(0);
    expect(result.minorityHeld).toBe(0);
    for (const f of Object.values(result.byFault)) {
      expect(f.failoverMs.max).toBeLessThanOrEqual(2000);
      expect(f.neverSettled).toBe(0);
    }
    expect(result.byFault['power-off'].failoverMs.median).toBeLessThanOrEqual(1000);
    expect(result.byFault.isolate.failoverMs.median).toBeLessThanOrEqual(1000);
    expect(result.byFault.isolate.healMet).toBe(true);
  }, 180_000);
});
