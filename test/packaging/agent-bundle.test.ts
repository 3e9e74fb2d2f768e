// `npm run build:agent`: the agent as an artifact for hosts without the repository. The tarball unpacks
// (anywhere, here a temp dir outside the repo) to a launcher with the agent's node flags, two bundles that
// import nothing but Node's built-ins, and the packaging files; the launcher runs from there with no
// NODE_PATH, and the bundled PKI helper makes a CSR. The e2e test (test/e2e/agent-bundle.test.ts) enrolls
// and joins a cluster with it.
import { execa } from 'execa';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentNodeFlags } from '../../src/agent/node-flags.js';
import { repoRoot } from '../../src/dev/paths.js';
import { type AgentBundle, buildAgentBundle } from '../../scripts/build-agent.js';

/** ws tries these native add-ons inside try/catch and runs without them (esbuild leaves them external). */
const OPTIONAL = ['bufferutil', 'utf-8-validate'];
const builtin = (s: string) => builtinModules.includes(s.replace(/^node:/, '')) || s.startsWith('node:');

describe('the agent bundle', () => {
  let work = '';
  let bundle: AgentBundle;
  let root = ''; // the unpacked tarball
  // From the unpacked folder, with no NODE_PATH or NODE_OPTIONS: nothing of the repository can be found.
  const clean = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir() };
  const inRoot = (file: string, args: string[], more: { input?: string } = {}) =>
    execa(file, args, { cwd: root, env: clean, extendEnv: false, reject: false, ...more });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'eo-bundle-'));
    bundle = await buildAgentBundle({ outDir: join(work, 'build', 'agent-bundle') });
    await execa('tar', ['-xzf', bundle.tarball!.file, '-C', work]);
    root = join(work, `edge-overlay-agent-${bundle.version}`);
    console.log(
      JSON.stringify({
        bundleBytes: bundle.bytes,
        agentJsBytes: statSync(join(root, 'lib/agent.js')).size,
        pkiHelperBytes: statSync(join(root, 'lib/pki-helper-main.js')).size,
        tarballBytes: bundle.tarball!.bytes,
      }),
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('unpacks to a launcher, two bundles and the packaging files', () => {
    expect(statSync(join(root, 'bin/edge-overlay-agent')).mode & 0o777).toBe(0o755);
    for (const f of ['lib/agent.js', 'lib/pki-helper-main.js'])
      expect(statSync(join(root, f)).size).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(root, 'lib/package.json'), 'utf8'))).toEqual({ type: 'module' });
    for (const f of [
      'systemd/edge-overlay-agent.service',
      'systemd/edge-overlay.sysusers',
      'agent.env.example',
    ])
      expect(readFileSync(join(root, 'share', f.split('/').pop()!), 'utf8')).toBe(
        readFileSync(join(repoRoot, 'packaging', f), 'utf8'),
      );
    // a self-contained agent, not a copy of node_modules
    expect(bundle.bytes).toBeLessThan(8 * 1024 * 1024);
  });

  it("runs with the agent's own node flags (the #! line of bin/edge-overlay-agent.js)", () => {
    const first = readFileSync(join(root, 'bin/edge-overlay-agent'), 'utf8').split('\n', 1)[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${agentNodeFlags().join(' ')}`);
    expect(agentNodeFlags(join(root, 'bin/edge-overlay-agent'))).toEqual(agentNodeFlags());
  });

  it("imports nothing but Node's built-ins (and ws's optional add-ons)", () => {
    expect(bundle.externals.length).toBeGreaterThan(0); // node:fs at least: the list is real
    expect(bundle.externals.filter((s) => !builtin(s) && !OPTIONAL.includes(s))).toEqual([]);
  });

  it('finds no package at run time (createRequire(…).resolve works only next to node_modules)', () => {
    const lookups = ['lib/agent.js', 'lib/pki-helper-main.js'].flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(/\.resolve\(\s*["']([\w@.][\w@:./-]*)["']\s*\)/g)].map(
        (m) => m[1]!,
      ),
    );
    // tsx: pki-helper.ts's branch for running from the source tree, never taken in the bundle (`.js`)
    expect(lookups.filter((p) => p !== 'tsx')).toEqual([]);
  });

  it('starts from its own folder: --help, and a clear exit 2 for a bad configuration', async () => {
    const launcher = join(root, 'bin/edge-overlay-agent');
    const help = await inRoot(launcher, ['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--join-token-file <file>');
    const args = ['--host-id', 'h1', '--underlay-iface', 'lo', '--api', 'http://127.0.0.1:9'];
    const bad = await inRoot(launcher, [...args, '--join-token-file', join(work, 'missing')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--join-token-file: cannot read');
  });

  it('carries the PKI helper: a CSR for the host key, made by the bundled helper', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const r = await inRoot(process.execPath, [join(root, 'lib/pki-helper-main.js')], {
      input: JSON.stringify({ op: 'csr', hostId: 'h1', privateKeyPem }),
    });
    const answer = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(answer.ok).toBe(true);
    expect(answer.csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
  });
});
