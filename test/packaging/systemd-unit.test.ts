// packaging/systemd/edge-overlay-agent.service: parsed as systemd reads it, it restarts forever, keeps its
// state in its own 0700 state dir, runs as a dedicated user with only the capabilities the agent needs, is
// sandboxed, and starts the launcher where the bundle installs it with flags the agent knows, fed by the env
// file's variables. `systemd-analyze verify` (if installed) must accept it without a single warning.
import { Command } from 'commander';
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STATE_DIR, registerAgentCommand } from '../../src/agent/cli.js';
import { repoRoot } from '../../src/dev/paths.js';
import { type AgentBundle, buildAgentBundle, INSTALL_DIR } from '../../scripts/build-agent.js';
import { one, parseEnvFile, parseUnitFile, referencedVariables } from './unit-file.js';

const UNIT_FILE = join(repoRoot, 'packaging/systemd/edge-overlay-agent.service');
const unitText = readFileSync(UNIT_FILE, 'utf8');
const unit = parseUnitFile(unitText);
const svc = (key: string) => one(unit, 'Service', key);
const execStart = svc('ExecStart').split(/\s+/);
const words = (v: string) => v.split(/\s+/).filter(Boolean).sort();

/** The agent command's long flags, from its commander definition (what the launcher accepts). */
function agentFlags(): { all: string[]; required: string[] } {
  const program = new Command();
  registerAgentCommand(program);
  const agent = program.commands.find((c) => c.name() === 'agent')!;
  return {
    all: agent.options.map((o) => o.long!),
    required: agent.options.filter((o) => o.mandatory).map((o) => o.long!),
  };
}

describe('edge-overlay-agent.service', () => {
  it('has the three sections and restarts forever', () => {
    expect(Object.keys(unit).sort()).toEqual(['Install', 'Service', 'Unit']);
    expect(svc('Restart')).toBe('always');
    expect(Number(svc('RestartSec'))).toBeGreaterThan(0);
    expect(one(unit, 'Unit', 'StartLimitIntervalSec')).toBe('0');
    expect(one(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
  });

  it('keeps its state in its own 0700 state dir, the agent default', () => {
    expect(svc('StateDirectory')).toBe('edge-overlay');
    expect(svc('StateDirectoryMode')).toBe('0700');
    const stateDir = execStart[execStart.indexOf('--state-dir') + 1];
    expect(stateDir).toBe(`/var/lib/${svc('StateDirectory')}`);
    expect(stateDir).toBe(DEFAULT_STATE_DIR);
  });

  it('runs as a dedicated user with CAP_NET_ADMIN and CAP_NET_RAW only', () => {
    expect(svc('User')).toBe('edge-overlay');
    expect(svc('User')).not.toBe('root');
    expect(words(svc('AmbientCapabilities'))).toEqual(['CAP_NET_ADMIN', 'CAP_NET_RAW']);
    expect(words(svc('CapabilityBoundingSet'))).toEqual(words(svc('AmbientCapabilities')));
    expect(svc('NoNewPrivileges')).toBe('yes');
    const sysusers = readFileSync(join(repoRoot, 'packaging/systemd/edge-overlay.sysusers'), 'utf8');
    expect(sysusers).toMatch(new RegExp(`^u ${svc('User')} `, 'm'));
  });

  it('is sandboxed: read-only system but its state, no home, private /tmp, few address families', () => {
    expect(svc('ProtectSystem')).toBe('strict');
    expect(words(svc('ReadWritePaths'))).toEqual([DEFAULT_STATE_DIR]);
    for (const k of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelModules'])
      expect(svc(k), k).toBe('yes');
    expect(words(svc('RestrictAddressFamilies'))).toEqual(
      ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX'].sort(),
    );
  });

  it('starts the bundle launcher where the install docs put it, with flags the agent knows', () => {
    const launcher = `${INSTALL_DIR}/bin/edge-overlay-agent`;
    expect(execStart[0]).toBe(launcher);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme.includes(launcher), 'README names the launcher path').toBe(true);
    expect(readme.includes('packaging/systemd/edge-overlay-agent.service'), 'README links the unit').toBe(
      true,
    );
    const flags = agentFlags();
    const used = execStart.filter((w) => w.startsWith('--'));
    for (const f of used) expect(flags.all, `${f} is an agent flag`).toContain(f);
    for (const f of [...flags.required, '--join-token-file']) expect(used).toContain(f);
  });

  it('takes its settings from the env file, which defines every variable ExecStart uses', () => {
    expect(svc('EnvironmentFile')).toBe('/etc/edge-overlay/agent.env');
    const env = parseEnvFile(readFileSync(join(repoRoot, 'packaging/agent.env.example'), 'utf8'));
    const vars = referencedVariables(svc('ExecStart'));
    expect(vars).toEqual(
      expect.arrayContaining([
        'EDGE_OVERLAY_HOST_ID',
        'EDGE_OVERLAY_JOIN_TOKEN_FILE',
        'EDGE_OVERLAY_API_URL',
      ]),
    );
    for (const v of vars) expect(Object.keys(env), `${v} in agent.env.example`).toContain(v);
    // no secret in the env file: the token is in its own file
    expect(Object.keys(env)).not.toContain('EDGE_OVERLAY_JOIN_TOKEN');
  });
});

describe('systemd-analyze verify', () => {
  let dir = '';
  let bundle: AgentBundle | undefined;
  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eo-unit-'));
    if (analyze) bundle = await buildAgentBundle({ outDir: join(dir, 'opt'), tarball: false });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the unit without a warning (ExecStart pointed at a freshly built launcher)', async () => {
    if (!analyze) {
      console.warn('SKIPPED systemd-analyze verify: systemd-analyze is not installed on this machine');
      return;
    }
    // verify checks that ExecStart's file is executable: point it at a real build of the same layout.
    const launcher = join(bundle!.dir, relative(INSTALL_DIR, execStart[0]!));
    const copy = join(dir, 'edge-overlay-agent.service');
    writeFileSync(copy, unitText.replace(execStart[0]!, launcher));
    const r = await execa('systemd-analyze', ['verify', copy], { reject: false });
    // verify exits 0 even for keys it ignores ("Failed to parse …, ignoring"): any output is a failure.
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
