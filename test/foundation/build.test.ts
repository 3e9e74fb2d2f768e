// The production image runs compiled JavaScript (Dockerfile: `npm run build`, then bin/edge-overlay.js
// loads dist/cli.js). No Docker engine here, so compile the same way and run the result.
import { execa } from 'execa';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/dev/paths.js';

// Inside the repository so the compiled files resolve node_modules as in the image.
const outDir = join(repoRoot, 'node_modules', '.cache', 'edge-overlay-build-test');

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('production build', () => {
  it('compiles src with tsconfig.build.json and the compiled CLI runs', async () => {
    rmSync(outDir, { recursive: true, force: true });
    await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: repoRoot });
    expect(existsSync(join(outDir, 'cli.js'))).toBe(true);
    expect(existsSync(join(outDir, 'workflows', 'index.js'))).toBe(true);
    const script = `const m = await import(${JSON.stringify(join(outDir, 'cli.js'))}); process.exitCode = await m.main(['node', 'edge-overlay', 'worker', '--help']);`;
    const help = await execa('node', ['--input-type=module', '-e', script], { cwd: repoRoot });
    expect(help.stdout).toMatch(/run the control worker/);
    expect(help.stdout).toMatch(/--temporal <host:port>/);
  }, 90_000);
});
