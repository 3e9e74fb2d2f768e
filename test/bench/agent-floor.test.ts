// bench:agent-floor as a user runs it: it bundles its child, measures in the agent's own node flags and
// prints one JSON line whose numbers hang together (every operation costs something, a receive and a
// signature check cost more than a MAC, the holder's floor is above a follower's, and the interval given
// for 1 % agrees with the floor at the interval asked for), and it leaves no namespace behind. Root: the
// renewal runs in a namespace of its own.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/dev/paths.js';
import { notRoot } from '../helpers/netns-lab.js';

interface Floor {
  holderPercent: number;
  followerPercent: number;
  holderOnePercentAtAdvertMs: number | null;
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
      // the shortest interval for 1 % (null: none) agrees with the floor measured at 200 ms
      const oneAt = f.holderOnePercentAtAdvertMs;
      if (f.holderPercent < 0.98) {
        expect(oneAt).not.toBeNull();
        expect(oneAt!).toBeLessThanOrEqual(200);
      }
      if (f.holderPercent > 1.02) expect(oneAt).not.toBe(200);
    }
    expect(r.pairwiseMac.holderPercent).toBeLessThan(r.ed25519.holderPercent);
    const { stdout } = await execa('ip', ['netns', 'list']);
    expect(stdout).not.toMatch(/eo-floor-/);
  }, 120_000);

  it('refuses bad arguments with the usage line', async () => {
    await expect(floorBench(['--voters', '1'])).rejects.toThrow(/usage: --advert-ms MS/);
  }, 60_000);
});
