// The real-host install path, end to end (issue 14): `npm run build:agent`'s tarball unpacked OUTSIDE the
// repository, its launcher started in each lab host's namespace the way edge-overlay-agent.service starts
// it — a non-root user holding only the unit's capabilities (setpriv: AmbientCapabilities=,
// CapabilityBoundingSet=, NoNewPrivileges= read from the unit file), cwd in the unpacked folder, no
// NODE_PATH — against the whole control plane on the root loopback. Each agent enrolls with its join token
// through the bundled PKI helper, and the hosts join a cluster (Joined in the API). Prints the agents'
// RSS right after the cluster is Ready (the goal is bench:agent's, measured idle after a settle).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySample } from '../../bench/agent-measure.js';
import { type AgentBundle, buildAgentBundle } from '../../scripts/build-agent.js';
import { ApiClient, type ClusterStatus } from '../../src/cli/api-client.js';
import type { ControlPlane } from '../../src/dev/control-plane.js';
import { repoRoot } from '../../src/dev/paths.js';
import { labBrokerAdvertise, startControlAccess } from '../../src/lab/control-access.js';
import { createLab, destroyLab } from '../../src/lab/lab.js';
import { agentStateDir, startAgent } from '../../src/lab/lab-agent.js';
import { controlTargets, startLoopbackControlPlane } from '../../src/lab/loopback-plane.js';
import { createClusterAndWait, hostSpecs, waitForAgentsOnline } from '../../src/lab/scenario.js';
import type { LabState } from '../../src/lab/state.js';
import { createLogger } from '../../src/log.js';
import { notRoot } from '../helpers/netns-lab.js';
import { workflowBundle } from '../helpers/temporal.js';
import { one, parseUnitFile } from '../packaging/unit-file.js';

const root = !notRoot('test/e2e/agent-bundle.test.ts');
const HOSTS = 2;
/** A dedicated user as on a host (any uid that is not root; no passwd entry needed). */
const AGENT_UID = 64_123;

const unit = parseUnitFile(
  readFileSync(join(repoRoot, 'packaging/systemd/edge-overlay-agent.service'), 'utf8'),
);
/** `CAP_NET_ADMIN CAP_NET_RAW` → `+net_admin,+net_raw`, setpriv's spelling. */
const unitCaps = (key: string) =>
  one(unit, 'Service', key)
    .split(/\s+/)
    .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
    .join(',');

/** What systemd does before exec'ing ExecStart with the unit's User=, capabilities and NoNewPrivileges=. */
function asTheUnitRuns(launcher: string): string[] {
  expect(one(unit, 'Service', 'NoNewPrivileges')).toBe('yes');
  return [
    'setpriv',
    `--reuid=${AGENT_UID}`,
    `--regid=${AGENT_UID}`,
    '--clear-groups',
    `--inh-caps=-all,${unitCaps('AmbientCapabilities')}`,
    `--ambient-caps=${unitCaps('AmbientCapabilities')}`,
    `--bounding-set=-all,${unitCaps('CapabilityBoundingSet')}`,
    '--no-new-privs',
    '--',
    launcher,
  ];
}

const procField = (pid: number, name: string): string =>
  new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';

describe.skipIf(!root)('the agent bundle on lab hosts (non-root, unit capabilities)', () => {
  let dir = '';
  let bundle: AgentBundle;
  let installed = ''; // the unpacked tarball: the host's /opt/edge-overlay
  let lab: LabState | undefined;
  let plane: ControlPlane | undefined;
  let api: ApiClient;
  let cluster: ClusterStatus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eo-bundle-e2e-'));
    chmodSync(dir, 0o711); // the agent user walks through to its state dir and the installed bundle
    bundle = await buildAgentBundle({ outDir: join(dir, 'build', 'agent-bundle') });
    await execa('tar', ['-xzf', bundle.tarball!.file, '-C', dir]);
    installed = join(dir, `edge-overlay-agent-${bundle.version}`);
    expect(installed.startsWith(repoRoot)).toBe(false);
    const token = randomBytes(24).toString('base64url');
    lab = await createLab({ hosts: HOSTS, runDir: join(dir, 'lab'), dhcp: true });
    chmodSync(lab.runDir, 0o711);
    plane = await startLoopbackControlPlane({
      dataDir: join(dir, 'control'),
      token,
      log: createLogger({ level: 'warn', format: 'json' }),
      brokerAdvertise: labBrokerAdvertise(lab),
      workflowBundle: workflowBundle(),
    });
    await startControlAccess(lab, controlTargets(plane));
    api = new ApiClient({ baseUrl: plane.apiUrl, token });
    const launcher = {
      command: asTheUnitRuns(join(installed, 'bin', 'edge-overlay-agent')),
      cwd: installed,
      owner: { uid: AGENT_UID, gid: AGENT_UID },
    };
    for (const h of lab.hosts) await startAgent(lab, h, { api, logLevel: 'info', launcher });
    await waitForAgentsOnline(api, lab, 60_000);
    cluster = await createClusterAndWait(api, `bundle-${lab.id}`, hostSpecs(lab, 1), 90_000);
  }, 180_000);

  afterAll(async () => {
    if (lab) await destroyLab(lab, { keepRunDir: true }).catch(() => undefined);
    if (plane) await plane.stop().catch(() => undefined);
    if (process.env['EO_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('every host enrolled with its join token and Joined the cluster', async () => {
    const view = await api.getCluster(cluster.name);
    expect(view.phase).toBe('Ready');
    expect(view.hosts.map((h) => [h.hostId, h.state]).sort()).toEqual(
      lab!.hosts.map((h) => [h.hostId, 'Joined']).sort(),
    );
    // the bundled PKI helper made the CSR and fetched the certificate, into a state dir the agent owns
    for (const h of lab!.hosts) {
      const crt = join(agentStateDir(lab!, h), 'host.crt');
      expect(existsSync(crt), crt).toBe(true);
      expect(statSync(crt).uid).toBe(AGENT_UID);
    }
  });

  it("the agents are the unpacked bundle, run as the unit runs them: not root, the unit's capabilities only", () => {
    for (const h of lab!.hosts) {
      const pid = h.agent!.pid;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain(join(installed, 'bin', 'edge-overlay-agent'));
      expect(argv.some((a) => a.startsWith(repoRoot))).toBe(false);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('NODE_PATH=');
      expect(procField(pid, 'Uid').split(/\s+/)).toEqual(Array(4).fill(String(AGENT_UID)));
      // CAP_NET_ADMIN (12) and CAP_NET_RAW (13): 0x3000, effective and bounding alike
      expect(BigInt(`0x${procField(pid, 'CapEff')}`)).toBe(0x3000n);
      expect(BigInt(`0x${procField(pid, 'CapBnd')}`)).toBe(0x3000n);
      expect(procField(pid, 'NoNewPrivs')).toBe('1');
    }
  });

  it("prints the bundle size and the agents' resident memory (bench:agent holds the RSS goal)", () => {
    const rss = lab!.hosts.map((h) => memorySample(h.agent!.pid));
    const mb = (n: number) => Math.round(n * 10) / 10;
    const report = {
      agentBundle: { bytes: bundle.bytes, tarballBytes: bundle.tarball!.bytes },
      rssMb: rss.map((s) => mb(s.rssMb)),
      rssAnonMb: rss.map((s) => mb(s.anonMb)),
    };
    console.log(JSON.stringify(report));
    expect(rss.every((s) => s.rssMb > 0)).toBe(true); // alive, measured
  });
});
