// A setPeers by reference through the relay's activity (src/control/relay-activities.ts): the command the
// host gets carries its whole table, cut from the cluster's peering set, and no reference; a bad reference
// is refused for good; a source that cannot be read fails the attempt retryably.
import { CompleteAsyncError } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PendingCommands } from '../../src/control/pending-commands.js';
import { createPeerTables } from '../../src/control/peer-tables.js';
import { createRelayActivities } from '../../src/control/relay-activities.js';
import { peerSourceOf } from '../../src/domain/peer-source.js';
import type { PlanHost } from '../../src/domain/peer-plan.js';

const hosts: PlanHost[] = ['h1', 'h2', 'h3', 'h4'].map((hostId, i) => ({
  hostId,
  overlayIp: `10.200.0.${i + 2}`,
  underlayIp: `192.168.7.${i + 2}`,
  state: i === 3 ? 'Joining' : 'Joined',
  underlaySeq: 10 + i,
}));
const source = peerSourceOf(hosts);
const spec = {
  clusterName: 'c',
  overlayCidr: '10.200.0.0/24',
  prefixLength: 24,
  vni: 200,
  mode: 'unicast' as const,
  port: 4789,
  vip: '10.200.0.1',
};

function relay(read: () => Promise<typeof source>) {
  const published: Array<{ topic: string; message: { input: Record<string, unknown> } }> = [];
  const activities = createRelayActivities({
    pending: new PendingCommands(),
    publisher: {
      publish: async (topic, message) => {
        published.push({ topic, message: message as { input: Record<string, unknown> } });
        return { noSubscribers: false };
      },
    },
    log: pino({ level: 'silent' }),
    peerTables: createPeerTables(read),
  });
  return { activities, published };
}

const env = () => new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 });

describe('setPeers by reference through the relay', () => {
  it("publishes the host's whole table (Joined only for a joining host), no reference", async () => {
    const { activities, published } = relay(async () => source);
    const ref = { workflowId: 'cluster/c', digest: source.digest };
    await expect(
      env().run(activities.setPeers, { hostId: 'h1', spec, peersFrom: ref, probe: true }),
    ).rejects.toBeInstanceOf(CompleteAsyncError);
    await expect(
      env().run(activities.setPeers, { hostId: 'h4', spec, peersFrom: { ...ref, only: 'Joined' as const } }),
    ).rejects.toBeInstanceOf(CompleteAsyncError);
    const ids = (i: number) =>
      ((published[i]?.message.input.peers ?? []) as { hostId: string }[]).map((p) => p.hostId);
    const [toH1] = published;
    expect(toH1?.topic).toContain('/hosts/h1/');
    expect(toH1?.message.input).not.toHaveProperty('peersFrom');
    expect(toH1?.message.input).toMatchObject({ probe: true });
    expect(ids(0)).toEqual(['h2', 'h3', 'h4']);
    expect(ids(1)).toEqual(['h1', 'h2', 'h3']);
  });

  it('refuses a hostile reference for good; an unreadable source fails retryably', async () => {
    const { activities, published } = relay(async () => {
      throw new Error('Workflow Task in failed state');
    });
    const bad = env().run(activities.setPeers, {
      hostId: 'h1',
      spec,
      peersFrom: { workflowId: 'cluster/c', digest: 'not-a-digest' },
    });
    await expect(bad).rejects.toMatchObject({ nonRetryable: true, type: 'InvalidInput' });
    const unreadable = env().run(activities.setPeers, {
      hostId: 'h1',
      spec,
      peersFrom: { workflowId: 'cluster/c', digest: source.digest },
    });
    await expect(unreadable).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(unreadable).rejects.toMatchObject({ nonRetryable: false, type: 'PeerSourceUnavailable' });
    expect(published).toHaveLength(0);
  });
});
