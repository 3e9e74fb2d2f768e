// What the Temporal Web UI shows for a cluster (issue 14 point 7), read the way the UI reads it: the
// workflow's User Metadata summary (describe), its current details and its handler descriptions (the
// `__temporal_workflow_metadata` query the UI sends). Real dev server and control worker, fake hosts.
import { describe, expect, it } from 'vitest';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { roles, suffix } from '../workflows/support/cluster-harness.js';
import { apiOverHarness } from './with-harness.js';

interface Metadata {
  currentDetails?: string;
  definition?: {
    queryDefinitions?: Array<{ name: string; description?: string }>;
    updateDefinitions?: Array<{ name: string; description?: string }>;
    signalDefinitions?: Array<{ name: string; description?: string }>;
  };
}

describe('the cluster in the Temporal Web UI', () => {
  const env = apiOverHarness();
  const name = `ui-${suffix()}`;

  it('has a summary, current details with every host, and described queries, updates and signals', async () => {
    const h = env.h();
    const hosts = await h.addHosts(3);
    const res = await env.api().call({
      method: 'POST',
      url: '/v1/clusters',
      payload: { name, hosts: roles(hosts, 1) },
    });
    expect(res.statusCode).toBe(202);
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready' && v.vipHolder !== null);
    const handle = h.client.workflow.getHandle(clusterWorkflowId(name));

    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(
      `cluster ${name}: 3 hosts (1 control-plane), 100.64.192.0/24, VNI 100, unicast`,
    );

    // The details follow the cluster: once Ready they name the phase, the holder and every host's addresses.
    let meta: Metadata = {};
    await h.waitFor(
      'current details of the Ready cluster',
      async () => (meta = (await handle.query('__temporal_workflow_metadata')) as Metadata),
      (m) => (m.currentDetails ?? '').includes('Ready ·'),
    );
    const details = meta.currentDetails!;
    expect(details).toContain(`VIP 100.64.192.1 on ${hosts[0]!.hostId}`);
    for (const f of hosts) expect(details).toContain(`| ${f.underlayIp} | Joined |`);
    expect(details).toContain(`| ${hosts[0]!.hostId} (VIP) | control-plane |`);

    const described_ = (list?: Array<{ name: string; description?: string }>) =>
      Object.fromEntries((list ?? []).map((d) => [d.name, d.description ?? '']));
    const queries = described_(meta.definition?.queryDefinitions);
    expect(queries['clusterStatus']).toMatch(/GET \/v1\/clusters/);
    expect(queries['clusterEvents']).toMatch(/events/);
    const updates = described_(meta.definition?.updateDefinitions);
    for (const u of ['admitCluster', 'addHosts', 'removeHost', 'changeOverlay', 'deleteCluster'])
      expect(updates[u], u).not.toBe('');
    const signals = described_(meta.definition?.signalDefinitions);
    for (const s of ['underlayChanged', 'underlayChanges', 'hostPresence', 'vipReport'])
      expect(signals[s], s).not.toBe('');
  });
});
