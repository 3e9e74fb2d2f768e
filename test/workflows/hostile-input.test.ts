// Every message into a workflow is parsed before it touches state (issue 11, point 2): hostile updates are
// rejected with InvalidInput and leave no trace; hostile signals are dropped with a MessageRejected event
// and never stored; a hostile start or continue-as-new input fails the run instead of being used.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHostsUpdate,
  admitClusterUpdate,
  changeOverlayUpdate,
  claimHostUpdate,
  clusterWorkflowType,
  deleteClusterUpdate,
  hostHeartbeatSignal,
  hostRecordQuery,
  hostWorkflowType,
  removeHostUpdate,
  setHostClusterSignal,
  underlayChangedSignal,
  underlayChangesSignal,
} from '../../src/contract/workflow-messages.js';
import { DEFAULT_OVERLAY_CIDR } from '../../src/domain/constants.js';
import { ErrorType } from '../../src/domain/errors.js';
import { clusterWorkflowId, hostWorkflowId } from '../../src/domain/ids.js';
import { ClusterHarness, roles, suffix } from './support/cluster-harness.js';
import type { FakeHost } from './support/fake-host.js';

const long = 'a'.repeat(300);
const invalid = { cause: { type: ErrorType.InvalidInput } };

describe('hostile input', () => {
  let h: ClusterHarness;
  let hosts: FakeHost[];
  let name: string;
  beforeAll(async () => {
    h = await ClusterHarness.create();
    hosts = await h.addHosts(2);
    ({ name } = await h.startCluster(roles(hosts, 1)));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
  });
  afterAll(async () => h.close());

  /** By name: hostile arguments do not fit the typed definitions on purpose. */
  const update = (def: { name: string }, args: unknown[]) =>
    h.handle(name).executeUpdate(def.name, { args: args as [unknown] });

  it.each<[string, unknown]>([
    ['hosts not a list', { hosts: 'h1' }],
    ['path-like host id', { hosts: [{ hostId: '../etc/passwd', role: 'worker' }] }],
    ['unknown role', { hosts: [{ hostId: 'ok-host', role: 'root' }] }],
    [
      'over the host limit',
      { hosts: Array.from({ length: 1001 }, (_, i) => ({ hostId: `x${i}`, role: 'worker' })) },
    ],
    ['null', null],
  ])('addHosts: %s → InvalidInput', async (_n, body) => {
    await expect(update(addHostsUpdate, [body])).rejects.toMatchObject(invalid);
  });

  it.each<[string, unknown]>([
    ['number id', { hostId: 7 }],
    ['300-char id', { hostId: long }],
    ['missing id', {}],
  ])('removeHost: %s → InvalidInput', async (_n, body) => {
    await expect(update(removeHostUpdate, [body])).rejects.toMatchObject(invalid);
  });

  it.each<[string, unknown]>([
    ['bad CIDR', { overlayCidr: '100.64.192.0/33' }],
    ['negative VNI', { vni: -1 }],
    ['unknown mode', { mode: 'broadcast' }],
  ])('changeOverlay: %s → InvalidInput', async (_n, body) => {
    await expect(update(changeOverlayUpdate, [body])).rejects.toMatchObject(invalid);
  });

  it('deleteCluster with an argument → InvalidInput; admitCluster hostile → InvalidInput, other spec → ClusterExists', async () => {
    await expect(update(deleteClusterUpdate, [{ force: true }])).rejects.toMatchObject(invalid);
    await expect(update(admitClusterUpdate, [{ name, hosts: 'all' }])).rejects.toMatchObject(invalid);
    const other = {
      name,
      overlayCidr: DEFAULT_OVERLAY_CIDR,
      vni: 7,
      mode: 'unicast',
      hosts: roles(hosts, 1),
    };
    await expect(update(admitClusterUpdate, [other])).rejects.toMatchObject({
      cause: { type: ErrorType.ClusterExists },
    });
    expect((await h.view(name)).phase).toBe('Ready');
  });

  it('signals: a bad underlay address or heartbeat is dropped with MessageRejected, never stored', async () => {
    const [first] = hosts as [FakeHost];
    const before = await h.view(name);
    const handle = h.handle(name);
    await handle.signal(underlayChangedSignal, { hostId: first.hostId, underlayIp: '999.1.1.1' });
    await handle.signal(underlayChangedSignal, null as never);
    await handle.signal(hostHeartbeatSignal, { hostId: first.hostId, underlayIp: 'not-an-ip' });
    await handle.signal(hostHeartbeatSignal, { hostId: long } as never);
    // the relay's batch: a bad envelope is dropped whole, a bad entry alone
    await handle.signal(underlayChangesSignal, { changes: 'all' } as never);
    await handle.signal(underlayChangesSignal, { changes: [] });
    await handle.signal(underlayChangesSignal, {
      changes: [{ hostId: first.hostId, underlayIp: '999.1.1.2', seq: 5 }, { hostId: long } as never],
    });
    const rejected = await h.waitFor(
      'MessageRejected events',
      async () => (await h.events(name)).filter((e) => e.type === 'MessageRejected'),
      (e) => e.length === 8,
    );
    expect(rejected.map((e) => e.data.signal)).toEqual([
      'underlayChanged',
      'underlayChanged',
      'hostHeartbeat',
      'hostHeartbeat',
      'underlayChanges',
      'underlayChanges',
      'underlayChanges',
      'underlayChanges',
    ]);
    expect(JSON.stringify(rejected)).not.toContain('999.1.1.1');
    expect(JSON.stringify(rejected)).not.toContain('999.1.1.2');
    const after = await h.view(name);
    expect(after.hosts).toEqual(before.hosts);
    expect(after.phase).toBe('Ready');
    expect(first.peers.every((p) => !p.underlayIp.startsWith('999'))).toBe(true);
  });

  it('a hostile start input or continue-as-new input fails the run with InvalidInput', async () => {
    const start = (args: unknown[]) =>
      h.client.workflow.execute(clusterWorkflowType, {
        workflowId: clusterWorkflowId(`bad-${suffix()}`),
        taskQueue: h.taskQueue,
        args,
      });
    const failed = async (args: unknown[]) => {
      const err = await start(args).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({ type: ErrorType.InvalidInput });
    };
    const input = { name: `bad-${suffix()}`, overlayCidr: DEFAULT_OVERLAY_CIDR, vni: 100, mode: 'unicast' };
    await failed([{ ...input, hosts: [{ hostId: 'UPPER', role: 'worker' }] }]);
    await failed([
      { ...input, hosts: [] },
      { format: 2, hosts: [['x', 'worker', '1.2.3.999']] },
    ]);
  });

  it('host workflow: hostile claim is InvalidInput; hostile setHostCluster and heartbeat change nothing', async () => {
    const [, second] = hosts as [FakeHost, FakeHost];
    const handle = h.client.workflow.getHandle(hostWorkflowId(second.hostId));
    const record = await handle.query(hostRecordQuery);
    await expect(
      handle.executeUpdate(claimHostUpdate, { args: [{ cluster: 5 } as never] }),
    ).rejects.toMatchObject(invalid);
    await handle.signal(setHostClusterSignal, { cluster: '../x' } as never);
    await handle.signal(hostHeartbeatSignal, { hostId: second.hostId, underlayIp: '1.2.3' });
    await new Promise((r) => setTimeout(r, 500));
    const after = await handle.query(hostRecordQuery);
    expect(after.cluster).toBe(record.cluster);
    expect(after.underlayIp).toBe(record.underlayIp);

    const bad = h.client.workflow.execute(hostWorkflowType, {
      workflowId: hostWorkflowId(`bad-${suffix()}`),
      taskQueue: h.taskQueue,
      args: [{ hostId: 'ok-id', record: { hostId: 'ok-id', underlayIp: 'x', lastSeen: '', cluster: null } }],
    });
    await expect(bad).rejects.toMatchObject({ cause: { type: ErrorType.InvalidInput } });
  });
});
