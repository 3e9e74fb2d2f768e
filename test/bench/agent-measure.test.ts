// What bench:agent reads from /proc, checked against processes with known behaviour: CPU time counts
// the children a process has waited for (the agent's `ip` runs are its cost), RSS has its anonymous and
// file parts, and the node flags come from the entry's own #! line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuTicks, memorySample, median, pssMb, spread, USER_HZ } from '../../bench/agent-measure.js';
import { AGENT_ENTRY, agentNodeFlags } from '../../src/agent/node-flags.js';
import { repoRoot } from '../../src/dev/paths.js';

/** A node process that spawns (and waits for) a child burning ~0.6 s of CPU, then idles until killed. */
function parentOfBusyChild() {
  // 0.6 s of CPU time, not of wall time: the machine may be busy
  const burn = 'while (process.cpuUsage().user < 600000);';
  const parent = `require('child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(burn)}]);
    process.stdout.write('done\\n'); setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('bench:agent measurements', () => {
  it("counts a waited-for child's CPU time as the parent's", async () => {
    const p = parentOfBusyChild();
    try {
      await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
      const seconds = cpuTicks(p.pid!) / USER_HZ;
      expect(seconds).toBeGreaterThan(0.55); // the parent itself only started node and waited
    } finally {
      p.kill();
    }
  }, 20_000);

  it('reads RSS as anonymous + file pages, and PSS', () => {
    const m = memorySample(process.pid);
    expect(m.rssMb).toBeGreaterThan(10);
    expect(Math.abs(m.rssMb - (m.anonMb + m.fileMb))).toBeLessThan(m.rssMb * 0.05); // + shmem
    const pss = pssMb(process.pid);
    if (pss !== null) expect(pss).toBeLessThanOrEqual(m.rssMb + 1);
  });

  it('median/max across agents', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([58.31, 61.04, 59.9])).toEqual({ median: 59.9, max: 61, all: [58.3, 61, 59.9] });
  });

  it("takes the node flags from the agent entry's #! line", () => {
    expect(AGENT_ENTRY).toBe(join(repoRoot, 'bin', 'edge-overlay-agent.js'));
    const flags = agentNodeFlags();
    expect(flags).toEqual(expect.arrayContaining(['--max-semi-space-size=1', '--jitless']));
    expect(flags.every((f) => f.startsWith('--'))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'eo-shebang-'));
    try {
      writeFileSync(join(dir, 'x.js'), '#!/usr/bin/env node\n');
      expect(() => agentNodeFlags(join(dir, 'x.js'))).toThrow(/not '#!\/usr\/bin\/env -S node/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
