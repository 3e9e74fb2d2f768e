// bench:agent-floor as a user runs it: it bundles its child, measures in the agent's own node flags and
// prints one JSON line whose numbers hang together (every operation costs something, a receive and a
// signature check cost more than a MAC, the holder's floor is above a follower's and scales with the
// advert rate), and it leaves no namespace behind. Root: the renewal runs in a namespace of its own.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/dev/paths.js';
import { notRoot } from '../helpers/netns-lab.js';

interface Floor {
  holderPercent: number;
  followerPercent: number;
  holderOnePercentAtAdvertMs: number;
}

async function floorBench(args: string[]) {
  const { stdout } = await execa('npm', ['run', '--silent', 'bench:agent-floor', '--', ...args], {
    cwd: repoRoot,
  });
  return JSON.parse(stdout) as {
    bench: string;
    advertMs: number;
    voters: number;
    opsUs: Record<string, number>;
    ed25519: Floor;
    pairwiseMac: Floor;
  };
}

describe.skipIf(notRoot('bench:agent-floor'))('bench:agent-floor (root)', () => {
  it('prints the per-operation costs and the floors they add up to, and cleans up', async () => {
    const r = await floorBench(['--advert-ms', '200', '--voters', '5']);
    expect(r).toMatchObject({ bench: 'agent-floor', advertMs: 200, voters: 5 });
    for (const key of ['ed25519SignUs', 'ed25519VerifyUs', 'hmacSha256Us', 'wakeUs', 'sendUs', 'receiveUs'])
      expect(r.opsUs[key], key).toBeGreaterThan(0);
    expect(r.opsUs['ed25519VerifyUs']!).toBeGreaterThan(r.opsUs['hmacSha256Us']!);
    for (const f of [r.ed25519, r.pairwiseMac]) {
      expect(f.holderPercent).toBeGreaterThan(f.followerPercent);
      expect(f.followerPercent).toBeGreaterThan(0);
      // 1 % at A ms means the floor at 200 ms is 100 x A / 200 / 100 = A / 200 %
      expect(f.holderPercent).toBeCloseTo(f.holderOnePercentAtAdvertMs / 200, 1);
    }
    expect(r.pairwiseMac.holderPercent).toBeLessThan(r.ed25519.holderPercent);
    const { stdout } = await execa('ip', ['netns', 'list']);
    expect(stdout).not.toMatch(/eo-floor-/);
  }, 120_000);

  it('refuses bad arguments with the usage line', async () => {
    await expect(floorBench(['--voters', '1'])).rejects.toThrow(/usage: --advert-ms MS/);
  }, 60_000);
});
