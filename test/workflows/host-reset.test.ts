// `hosts reset` on the host registry (`resetHost` on host/<id>): the agent's reset runs through the relay
// like any host command; its outcome is recorded on the host as a HostReset event; a cluster member is
// refused (it is removed from its cluster instead); an agent that does not answer is a clear failure.
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorType } from '../../src/domain/errors.js';
import { resetHost } from '../../src/temporal/host-identity.js';
import { getHost } from '../../src/temporal/hosts.js';
import { ClusterHarness, roles } from './support/cluster-harness.js';

/** The failure's type, through the update error wrapper. */
async function failureType(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    let e: unknown = err;
    if (e instanceof WorkflowUpdateFailedError) e = e.cause;
    return e instanceof ApplicationFailure ? (e.type ?? undefined) : String(e);
  }
  return 'resolved';
}

describe('hosts reset', () => {
  let h: ClusterHarness;
  beforeEach(async () => {
    h = await ClusterHarness.create();
  });
  afterEach(async () => h.close());

  it('tears a stranded host down through its agent and records a HostReset event', async () => {
    const [host] = await h.addHosts(1, 'rst');
    // a leftover overlay from a cluster that is gone (the host is in no cluster now)
    host!.overlay = {
      spec: {
        clusterName: 'gone',
        overlayCidr: '100.64.192.0/24',
        prefixLength: 24,
        vni: 100,
        mode: 'unicast',
        vip: '100.64.192.1',
      },
      overlayIp: '100.64.192.2',
    } as never;
    const outcome = await resetHost(h.client, host!.hostId, 'failed join of gone');
    expect(outcome).toMatchObject({
      hostId: host!.hostId,
      changed: true,
      removed: ['vxlan100', 'scbr-100'],
      cluster: 'gone',
    });
    expect(host!.count('reset')).toBe(1);
    expect(host!.overlay).toBeNull();
    const again = await resetHost(h.client, host!.hostId);
    expect(again).toMatchObject({ changed: false, removed: [] });
    const record = await getHost(h.client, host!.hostId);
    expect(record?.events?.map((e) => e.type)).toEqual(['HostReset', 'HostReset']);
    expect(record?.events?.[0]?.data).toMatchObject({
      reason: 'failed join of gone',
      cluster: 'gone',
      changed: true,
    });
  });

  it('refuses a cluster member (HostAlreadyInCluster) and sends it nothing', async () => {
    const hosts = await h.addHosts(1, 'mem');
    const { name } = await h.startCluster(roles(hosts, 1));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    expect(await failureType(resetHost(h.client, hosts[0]!.hostId))).toBe(ErrorType.HostAlreadyInCluster);
    expect(hosts[0]!.count('reset')).toBe(0);
  });

  it('an agent that does not answer: HostAgentUnreachable within the API deadline, nothing recorded', async () => {
    const [host] = await h.addHosts(1, 'away');
    host!.hang();
    const t0 = Date.now();
    expect(await failureType(resetHost(h.client, host!.hostId))).toBe(ErrorType.HostAgentUnreachable);
    expect(Date.now() - t0).toBeLessThan(15_000);
    host!.unhang();
    expect((await getHost(h.client, host!.hostId))?.events).toBeUndefined();
  }, 30_000);
});
