// packaging/cloud-init/: the cloud-init user-data and the Kairos `stages:` example install what the unit
// expects, where it expects it: the bundle in the unit's install dir, the unit copied from the bundle, the
// env file with the variables ExecStart uses, the join token file the env file names (0600, the unit's
// user's), the sysusers line of packaging/, and they enable the unit. The Kairos one carries the product
// page's VMXNET3 workaround in its initramfs stage, keeps the unit's state dir across reboots, and uses
// only stage names and step fields that Kairos (yip) knows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INSTALL_DIR } from '../../scripts/build-agent.js';
import { repoRoot } from '../../src/dev/paths.js';
import { one, parseEnvFile, parseUnitFile, referencedVariables } from './unit-file.js';

const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const unit = parseUnitFile(read('packaging/systemd/edge-overlay-agent.service'));
const user = one(unit, 'Service', 'User');
const envFile = one(unit, 'Service', 'EnvironmentFile');
const execVars = referencedVariables(one(unit, 'Service', 'ExecStart'));
const exampleEnv = parseEnvFile(read('packaging/agent.env.example'));
const sysusersLines = read('packaging/systemd/edge-overlay.sysusers')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'));

interface Written {
  path: string;
  mode: number;
  content: string;
}

/** What an example does, format aside: the files it writes, the commands it runs, the units it enables. */
interface Plan {
  files: Written[];
  commands: string[];
  enabled: string[];
}

function cloudInitPlan(doc: Record<string, unknown>): Plan {
  const files = (doc['write_files'] as Array<Record<string, string>>).map((f) => ({
    path: f['path']!,
    mode: Number.parseInt(f['permissions'] ?? '0644', 8),
    content: f['content']!,
  }));
  const commands = (doc['runcmd'] as unknown[]).map((c) => (Array.isArray(c) ? c.join(' ') : String(c)));
  const enabled = commands.flatMap((c) => /^systemctl enable (?:--now )?(\S+)$/.exec(c)?.[1] ?? []);
  return { files, commands, enabled };
}

type YipStep = {
  files?: Array<{ path: string; permissions: number; content: string }>;
  commands?: string[];
  systemctl?: { enable?: string[]; start?: string[] };
};

function kairosPlan(doc: Record<string, unknown>): Plan {
  const stages = doc['stages'] as Record<string, YipStep[]>;
  const steps = Object.values(stages).flat();
  return {
    files: steps.flatMap((s) => s.files ?? []).map((f) => ({ ...f, mode: f.permissions })),
    commands: steps.flatMap((s) => s.commands ?? []),
    enabled: steps.flatMap((s) => s.systemctl?.enable ?? []),
  };
}

const examples: Array<[string, () => Plan]> = [
  [
    'packaging/cloud-init/user-data.yaml',
    () => cloudInitPlan(parse(read('packaging/cloud-init/user-data.yaml'))),
  ],
  // yip reads YAML 1.1 (Go): `permissions: 0600` is octal there.
  [
    'packaging/cloud-init/kairos.yaml',
    () => kairosPlan(parse(read('packaging/cloud-init/kairos.yaml'), { version: '1.1' })),
  ],
];

describe.each(examples)('%s', (file, plan) => {
  const p = plan();
  const written = (path: string) => {
    const f = p.files.find((w) => w.path === path);
    if (!f) throw new Error(`${file} writes no ${path}`);
    return f;
  };

  it('is cloud-config', () => {
    expect(read(file).split('\n', 1)[0]).toBe('#cloud-config');
  });

  it("writes the unit's env file with the example's variables, every one ExecStart uses", () => {
    const env = parseEnvFile(written(envFile).content);
    expect(Object.keys(env).sort()).toEqual(Object.keys(exampleEnv).sort());
    for (const v of execVars) expect(env[v], v).toBeDefined();
    for (const v of ['EDGE_OVERLAY_HOST_ID', 'EDGE_OVERLAY_UNDERLAY_IFACE', 'EDGE_OVERLAY_API_URL'])
      expect(env[v], v).not.toBe('');
  });

  it('writes the join token file the env file names, 0600, and gives it to the agent user', () => {
    const tokenPath = parseEnvFile(written(envFile).content)['EDGE_OVERLAY_JOIN_TOKEN_FILE']!;
    const token = written(tokenPath);
    expect(token.mode).toBe(0o600);
    // a placeholder the agent refuses with a clear message, never a token-shaped string
    expect(token.content.trim()).not.toMatch(/^[A-Za-z0-9_-]+$/);
    expect(p.commands).toContain(`chown ${user}:${user} ${tokenPath}`);
  });

  it("creates the unit's user with packaging/'s sysusers line and loads vxlan and bridge", () => {
    const sysusers = written('/etc/sysusers.d/edge-overlay.conf').content.trim().split('\n');
    expect(sysusers).toEqual(sysusersLines);
    expect(p.commands).toContain('systemd-sysusers /etc/sysusers.d/edge-overlay.conf');
    expect(written('/etc/modules-load.d/edge-overlay.conf').content.split(/\s+/)).toEqual(
      expect.arrayContaining(['vxlan', 'bridge']),
    );
  });

  it('installs the bundle tarball into the install dir and the unit from it, then enables it', () => {
    const unpack = p.commands.find((c) => c.includes('tar -xz'));
    expect(unpack).toMatch(
      /edge-overlay-agent-\d+\.\d+\.\d+\.tar\.gz \| tar -xz -C (\S+) --strip-components=1$/,
    );
    expect(unpack).toContain(`-C ${INSTALL_DIR} `);
    const unitPath = '/etc/systemd/system/edge-overlay-agent.service';
    expect(p.commands).toContain(`cp ${INSTALL_DIR}/share/edge-overlay-agent.service ${unitPath}`);
    const order = ['systemd-sysusers', 'tar -xz', `cp ${INSTALL_DIR}/share`, 'systemctl daemon-reload'];
    const at = order.map((o) => p.commands.findIndex((c) => c.includes(o)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(p.enabled).toEqual(['edge-overlay-agent.service']);
  });
});

// Step fields of yip's `Stage` (github.com/mudler/yip pkg/schema/schema.go) that the example may use, and
// Kairos's boot stages (with yip's `.before`/`.after` suffixes): a misspelt key is ignored by yip, silently.
const YIP_STEP_FIELDS = [
  'name',
  'if',
  'commands',
  'files',
  'directories',
  'downloads',
  'modules',
  'systemctl',
];
const YIP_FILE_FIELDS = ['path', 'permissions', 'owner', 'group', 'content', 'encoding'];
const KAIROS_STAGES = /^(rootfs|initramfs|boot|fs|network|reconcile)(\.before|\.after)?$/;

describe('packaging/cloud-init/kairos.yaml', () => {
  const doc = parse(read('packaging/cloud-init/kairos.yaml'), { version: '1.1' });

  it('uses only Kairos stage names and yip step and file fields', () => {
    for (const [stage, steps] of Object.entries(doc.stages as Record<string, YipStep[]>)) {
      expect(stage).toMatch(KAIROS_STAGES);
      for (const step of steps) {
        for (const key of Object.keys(step)) expect(YIP_STEP_FIELDS).toContain(key);
        for (const file of step.files ?? []) {
          for (const key of Object.keys(file)) expect(YIP_FILE_FIELDS).toContain(key);
        }
      }
    }
  });

  it("binds the unit's state dir (key, certificate, overlay state) to persistent storage", () => {
    const stateDir = /--state-dir (\S+)/.exec(one(unit, 'Service', 'ExecStart'))?.[1];
    expect(stateDir).toBe('/var/lib/edge-overlay');
    expect(doc.install?.bind_mounts).toContain(stateDir);
  });

  it("carries the product page's initramfs VMXNET3 workaround and starts the unit", () => {
    const initramfs = doc.stages.initramfs as YipStep[];
    expect(initramfs.flatMap((s) => s.commands ?? [])).toEqual([
      'ethtool --offload eth0 tx-udp_tnl-segmentation off',
      'ethtool --offload eth0 tx-udp_tnl-csum-segmentation off',
    ]);
    const steps = Object.values(doc.stages as Record<string, YipStep[]>).flat();
    expect(steps.flatMap((s) => s.systemctl?.start ?? [])).toEqual(['edge-overlay-agent.service']);
  });
});
