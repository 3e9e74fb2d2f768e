// POST /v1/clusters against the members' underlay (issue 14, point 2): a 400 naming the field for a CIDR
// over a member's reported subnet or over the control plane's address as a member reaches it, and a 409
// naming the other cluster for a CIDR + VNI already used on the same underlay, unless `force: true`.
import { describe, expect, it } from 'vitest';
import { ProblemType } from '../../src/api/problem.js';
import { reportUnderlay } from '../../src/temporal/hosts.js';
import { suffix } from '../workflows/support/cluster-harness.js';
import type { FakeHost } from '../workflows/support/fake-host.js';
import { problemOf } from './helper.js';
import { apiOverHarness } from './with-harness.js';

describe('POST /v1/clusters: overlay CIDR vs the underlay', () => {
  const { h, api } = apiOverHarness();
  // A CIDR and VNI no other test uses: clusters left running elsewhere never collide with these.
  const vni = 5000 + Math.floor(Math.random() * 10_000);
  const ours = `100.${70 + Math.floor(Math.random() * 20)}.${Math.floor(Math.random() * 250)}`;

  /** Hosts whose agents report a /24 and the broker address they reach. */
  async function agentHosts(n: number, broker?: string): Promise<FakeHost[]> {
    const hosts = await h().addHosts(n, 'uo');
    for (const f of hosts) {
      f.underlaySeq += 1;
      await reportUnderlay(
        h().client,
        {
          hostId: f.hostId,
          seq: f.underlaySeq,
          underlayIp: f.underlayIp,
          underlayIface: 'eth0',
          prefixLength: 24,
          ...(broker ? { brokerAddress: broker } : {}),
        },
        { taskQueue: h().taskQueue },
      );
    }
    return hosts;
  }
  const create = (hosts: FakeHost[], body: Record<string, unknown>) =>
    api().call({
      method: 'POST',
      url: '/v1/clusters',
      payload: {
        name: `uo-${suffix()}`,
        hosts: hosts.map((f, i) => ({ hostId: f.hostId, role: i === 0 ? 'control-plane' : 'worker' })),
        ...body,
      },
    });

  it("400 for a CIDR over a member's subnet, though no member address lies in it", async () => {
    const hosts = await agentHosts(2);
    const net = hosts[0]!.underlayIp.split('.').slice(0, 3).join('.');
    const res = await create(hosts, { overlayCidr: `${net}.128/25` });
    expect(res.statusCode).toBe(400);
    const p = problemOf(res);
    expect(p.type).toBe(ProblemType.ValidationFailed);
    expect(p.errors).toEqual([
      {
        field: 'overlayCidr',
        message: `${net}.128/25 overlaps the underlay subnet ${net}.0/24 of hosts ${hosts[0]!.hostId}, ${hosts[1]!.hostId}`,
      },
    ]);
  });

  it("400 for a CIDR that holds the control plane's address as a member reaches it", async () => {
    const hosts = await agentHosts(1, `${ours}.2`);
    const res = await create(hosts, { overlayCidr: `${ours}.0/24`, vni });
    expect(res.statusCode).toBe(400);
    const [err] = problemOf(res).errors ?? [];
    expect(err?.field).toBe('overlayCidr');
    expect(err?.message).toContain(
      `contains the control plane's address ${ours}.2 as host ${hosts[0]!.hostId} reaches it`,
    );
  });

  it('409 for a CIDR + VNI already used by a cluster on the same underlay; another VNI or force passes', async () => {
    const [a1, a2, b1, c1, d1] = await agentHosts(5);
    const first = await create([a1!, a2!], { overlayCidr: `${ours}.0/24`, vni });
    expect(first.statusCode).toBe(202);
    const firstName = (first.json() as { name: string }).name;

    const clash = await create([b1!], { overlayCidr: `${ours}.128/25`, vni });
    expect(clash.statusCode).toBe(409);
    const p = problemOf(clash);
    expect(p.type).toBe(ProblemType.OverlayConflict);
    expect(p.detail).toContain(`cluster ${firstName} already uses overlay ${ours}.0/24 with VNI ${vni}`);
    expect(p.detail).toContain('"force": true');
    expect(p.errors?.map((e) => e.field)).toEqual(['overlayCidr', 'vni']);

    expect((await create([c1!], { overlayCidr: `${ours}.128/25`, vni: vni + 1 })).statusCode).toBe(202);
    expect((await create([d1!], { overlayCidr: `${ours}.128/25`, vni, force: true })).statusCode).toBe(202);
  });

  it('OpenAPI documents force as an optional boolean of the create body', async () => {
    const doc = (await api().app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { type?: string; description?: string }>; required?: string[] }
        >;
      };
    };
    const body = doc.components.schemas['CreateClusterRequest']!;
    expect(body.properties['force']).toMatchObject({ type: 'boolean' });
    expect(body.properties['force']?.description).toContain('409');
    expect(body.required ?? []).not.toContain('force');
  });

  it('force must be a boolean (400 naming the field)', async () => {
    const hosts = await agentHosts(1);
    const res = await create(hosts, { force: 'yes' });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).errors?.[0]?.field).toBe('force');
  });
});
