// Atomic admission through the API (issue 11, point 1): POST /v1/clusters claims every host before it
// answers, so of 20 concurrent creates that share one host exactly one gets 202 and the others a 409 naming
// the host; the first GET after the 202 lists every requested host with role and overlay IP.
import { describe, expect, it } from 'vitest';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { admitClusterUpdate, clusterWorkflowType } from '../../src/contract/workflow-messages.js';
import { DEFAULT_OVERLAY_CIDR, DEFAULT_VNI } from '../../src/domain/constants.js';
import { ErrorType } from '../../src/domain/errors.js';
import { clusterWorkflowId } from '../../src/domain/ids.js';
import { getHost } from '../../src/temporal/hosts.js';
import { suffix } from '../workflows/support/cluster-harness.js';
import type { FakeHost } from '../workflows/support/fake-host.js';
import { problemOf } from './helper.js';
import { apiOverHarness } from './with-harness.js';

describe('POST /v1/clusters admission', () => {
  const { h, api } = apiOverHarness();

  it('20 concurrent creates sharing one host: exactly one 202, the others 409 naming the host', async () => {
    const [shared, ...own] = (await h().addHosts(21, 'adm')) as FakeHost[];
    const names = own.map(() => `adm-${suffix()}`);
    const responses = await Promise.all(
      own.map((host, i) =>
        api().call({
          method: 'POST',
          url: '/v1/clusters',
          payload: {
            name: names[i],
            hosts: [
              { hostId: shared!.hostId, role: 'control-plane' },
              { hostId: host.hostId, role: 'worker' },
            ],
          },
        }),
      ),
    );
    const codes = responses.map((r) => r.statusCode);
    const odd = responses.filter((r) => r.statusCode !== 202 && r.statusCode !== 409).map((r) => r.body);
    expect(odd).toEqual([]);
    expect(codes.filter((c) => c === 202)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    for (const r of responses.filter((x) => x.statusCode === 409)) {
      expect(problemOf(r).detail).toContain(shared!.hostId);
    }
    const winner = names[codes.indexOf(202)]!;
    expect((await getHost(h().client, shared!.hostId))?.cluster).toBe(winner);
    // The losers hold nothing: every other host is free again and can join the winner's peers later.
    const losers = own.filter((_, i) => codes[i] !== 202);
    const held = await Promise.all(losers.map(async (x) => (await getHost(h().client, x.hostId))?.cluster));
    expect(held.every((c) => c === null)).toBe(true);
  });

  it('without the API pre-check: 20 concurrent admissions (update-with-start) admit exactly one', async () => {
    const [shared, ...own] = (await h().addHosts(21, 'wf')) as FakeHost[];
    const outcomes = await Promise.allSettled(
      own.map((host) => {
        const input = {
          name: `wf-${suffix()}`,
          overlayCidr: DEFAULT_OVERLAY_CIDR,
          vni: DEFAULT_VNI,
          mode: 'unicast' as const,
          hosts: [
            { hostId: shared!.hostId, role: 'control-plane' as const },
            { hostId: host.hostId, role: 'worker' as const },
          ],
        };
        return h().client.workflow.executeUpdateWithStart(admitClusterUpdate, {
          args: [input],
          startWorkflowOperation: new WithStartWorkflowOperation(clusterWorkflowType, {
            workflowId: clusterWorkflowId(input.name),
            taskQueue: h().taskQueue,
            workflowIdConflictPolicy: 'USE_EXISTING',
            args: [input],
          }),
        });
      }),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toMatchObject({ cause: { type: ErrorType.HostAlreadyInCluster } });
      }
    }
  });

  it('the first GET after a 202 lists every requested host with role and overlay IP', async () => {
    const hosts = (await h().addHosts(3, 'first')) as FakeHost[];
    const name = `first-${suffix()}`;
    const requested = hosts.map((x, i) => ({ hostId: x.hostId, role: i === 0 ? 'control-plane' : 'worker' }));
    const created = await api().call({
      method: 'POST',
      url: '/v1/clusters',
      payload: { name, hosts: requested },
    });
    expect(created.statusCode).toBe(202);
    const res = await api().call({ method: 'GET', url: `/v1/clusters/${name}` });
    expect(res.statusCode).toBe(200);
    const view = res.json() as {
      hosts: Array<{ hostId: string; role: string; overlayIp: string; state: string }>;
    };
    expect(view.hosts.map((x) => [x.hostId, x.role])).toEqual(requested.map((r) => [r.hostId, r.role]));
    expect(view.hosts.map((x) => x.overlayIp)).toEqual(['100.64.192.2', '100.64.192.3', '100.64.192.4']);
    // Admitted and not yet joined; a join may already have started by the time the GET runs.
    for (const x of view.hosts) expect(['Pending', 'Joining']).toContain(x.state);
  });
});
