// The lab's mesh prober (src/lab/mesh-prober.ts), which times "the overlay is back" in the convergence e2e
// and bench:recovery: real kernel, three namespaces on one switch, one prober each (on the underlay
// addresses here; the prober does not care which). Every ordered pair gets an okSince; cutting one host's
// switch port breaks exactly the pairs with that host in them (both directions) and no other; after the
// port comes back those pairs start a new run, later than the cut.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/dev/paths.js';
import { spawnInNetns } from '../../src/lab/netns.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';

const INTERVAL_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(notRoot('mesh prober'))('mesh prober (netns)', () => {
  let lab: Lab;
  let dir: string;
  const file = (i: number) => join(dir, `h${i}.probe.json`);
  /** "from→to" → okSince, as the probers wrote them (each prober reports the direction towards it). */
  const pairs = (): Record<string, number | null> => {
    const out: Record<string, number | null> = {};
    lab.hosts.forEach((to, i) => {
      let peers: Record<string, number | null> = {};
      try {
        peers = (JSON.parse(readFileSync(file(i + 1), 'utf8')) as { peers: typeof peers }).peers;
      } catch {
        // not written yet
      }
      for (const from of lab.hosts)
        if (from !== to) out[`${from.name}→${to.name}`] = peers[from.underlayIp] ?? null;
    });
    return out;
  };
  const until = async (cond: (p: Record<string, number | null>) => boolean, what: string) => {
    for (const end = Date.now() + 5_000; !cond(pairs()); await sleep(20))
      if (Date.now() > end) throw new Error(`not within 5 s: ${what}: ${JSON.stringify(pairs())}`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eo-mesh-'));
    lab = await createLab({ hosts: 3 });
    for (const [i, h] of lab.hosts.entries()) {
      const proc = await spawnInNetns(h.ns, process.execPath, ['--import', 'tsx', 'src/lab/mesh-prober.ts'], {
        cwd: repoRoot,
        env: {
          PATH: process.env['PATH'],
          OVERLAY_IP: h.underlayIp,
          PORT: '7999',
          PEERS: lab.hosts
            .filter((p) => p !== h)
            .map((p) => p.underlayIp)
            .join(','),
          INTERVAL_MS: String(INTERVAL_MS),
          OUT_FILE: file(i + 1),
        },
        logFile: join(dir, `h${i + 1}.log`),
      });
      lab.processes.push({ pid: proc.pid, expectComm: 'node' });
    }
  }, 30_000);
  afterAll(async () => {
    await lab?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports every ordered pair, breaks the pairs of a cut host only, and restarts them after the cut', async () => {
    await until((p) => Object.values(p).every((t) => t !== null), 'every pair answers');
    const before = pairs();
    expect(Object.keys(before)).toHaveLength(6);

    const port = `v${lab.id}h1`; // h1's switch port (test/helpers/netns-lab.ts)
    const cutAt = Date.now();
    await execa('ip', ['-n', lab.switchNs, 'link', 'set', port, 'down']);
    await until((p) => p['h1→h2'] === null && p['h2→h1'] === null, "the cut host's pairs break");
    await sleep(4 * INTERVAL_MS);
    const during = pairs();
    for (const k of ['h1→h2', 'h1→h3', 'h2→h1', 'h3→h1']) expect(during[k], k).toBeNull();
    // The other pair never lost a beat: its run is the one from before the cut.
    expect(during['h2→h3']).toBe(before['h2→h3']);
    expect(during['h3→h2']).toBe(before['h3→h2']);

    const upAt = Date.now();
    await execa('ip', ['-n', lab.switchNs, 'link', 'set', port, 'up']);
    await until((p) => Object.values(p).every((t) => t !== null), 'every pair answers again');
    const after = pairs();
    for (const k of ['h1→h2', 'h1→h3', 'h2→h1', 'h3→h1']) expect(after[k], k).toBeGreaterThan(cutAt);
    for (const k of ['h1→h2', 'h1→h3', 'h2→h1', 'h3→h1']) expect(after[k]! - upAt, k).toBeLessThan(1_000);
    expect(after['h2→h3']).toBe(before['h2→h3']);
  }, 30_000);
});
