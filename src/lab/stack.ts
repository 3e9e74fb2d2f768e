// Everything a demo or benchmark needs in one call: the control plane on the root loopback, a DHCP
// lab whose agents reach it over the underlay, and a cluster created through the API.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ApiClient, type ClusterStatus } from '../cli/api-client.js';
import type { ControlPlane } from '../dev/control-plane.js';
import { labBrokerAdvertise, startControlAccess } from './control-access.js';
import { createLab, destroyLab } from './lab.js';
import { startAgent } from './lab-agent.js';
import { controlTargets, startLoopbackControlPlane } from './loopback-plane.js';
import { createClusterAndWait, hostSpecs, overlayIps, waitForAgentsOnline } from './scenario.js';
import type { LabState } from './state.js';

export interface LocalStack {
  plane: ControlPlane;
  lab: LabState;
  api: ApiClient;
  cluster: ClusterStatus;
  ips: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalStack(o: {
  hosts: number;
  log: Logger;
  onStep?: (what: string) => void;
  /** Agents log JSON into the run dir (<hostId>.agent.log) at this level (default warn). */
  agentLogLevel?: string;
}): Promise<LocalStack> {
  const step = o.onStep ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'eo-stack-'));
  const token = randomBytes(24).toString('base64url');
  let plane: ControlPlane | undefined;
  let lab: LabState | undefined;
  const close = async () => {
    if (lab) await destroyLab(lab, { keepRunDir: true });
    await plane?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    step(`creating ${o.hosts} host namespaces on one L2 switch, with dnsmasq handing out underlay addresses`);
    lab = await createLab({ hosts: o.hosts, runDir: join(dir, 'lab'), dhcp: true });
    step(
      'starting the control plane (Temporal dev server, broker, control worker, API) on the root loopback',
    );
    plane = await startLoopbackControlPlane({
      dataDir: join(dir, 'control'),
      token,
      log: o.log,
      brokerAdvertise: labBrokerAdvertise(lab),
    });
    await startControlAccess(lab, controlTargets(plane));
    const api = new ApiClient({ baseUrl: plane.apiUrl, token });
    step(
      `starting an agent in every host namespace: each enrolls with its own join token, then talks to the broker via ${lab.control?.brokerUrl}`,
    );
    for (const h of lab.hosts) await startAgent(lab, h, { api, logLevel: o.agentLogLevel ?? 'warn' });
    await waitForAgentsOnline(api, lab, 30_000 + o.hosts * 3000);
    step('creating the cluster through the API and waiting for Ready');
    const cluster = await createClusterAndWait(api, `lab-${lab.id}`, hostSpecs(lab), 60_000 + o.hosts * 5000);
    return { plane, lab, api, cluster, ips: overlayIps(cluster), close };
  } catch (err) {
    await close();
    throw err;
  }
}
