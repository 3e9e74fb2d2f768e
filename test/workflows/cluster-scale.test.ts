// Bounded state in a real run (issue 11, point 5): a 200-host cluster of fake hosts settles, continues as new
// with the compact carried state, keeps every overlay IP, and keeps reconciling afterwards.
// Measured on this 2-core machine: with 200 host task queues on one dev server, a few per cent of host
// activity tasks are only picked up after a long poll expires (~60 s), whatever the poller and connection
// counts; that is the host channel's problem (issue 12 replaces it), so joins get a short budget here and a
// host that misses it is Failed: the test is about the cluster's state, not the channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, roles } from './support/cluster-harness.js';
import { type FakeHost, setPeersInFlight } from './support/fake-host.js';
import { JOIN_WAVE } from '../../src/workflows/joins.js';
import { REF_PUSH_WAVE } from '../../src/workflows/push-waves.js';

const HOSTS = 200;

describe(`a ${HOSTS}-host cluster`, () => {
  let h: ClusterHarness;
  let hosts: FakeHost[];
  beforeAll(async () => {
    h = await ClusterHarness.create();
    hosts = await h.addHosts(HOSTS, 's');
  }, 180_000);
  afterAll(async () => h.close(), 120_000);

  it('settles, continues as new with every overlay IP kept, and still reconciles', async () => {
    const t0 = Date.now();
    const { name, handle } = await h.startCluster(roles(hosts, 3), {
      continueAsNewAfterEvents: 1_000,
      reconcileDebounceMs: 200,
      // Every fake host answers; the budget only has to outlast a loaded CI machine (2 cores, other tests).
      hostActivityTimeoutMs: 20_000,
      retryIntervalMs: 2_000,
    });
    const firstRun = (await handle.describe()).runId;
    // Settled includes the VIP: its holder can be recorded after the last join (CI once read the view in
    // between, and the holder kept across continue-as-new below looked like a change from none).
    const ready = await h.waitForView(
      name,
      'every join settled and the VIP on the first-ranked control plane',
      (v) =>
        v.hosts.every((x) => x.state === 'Joined' || x.state === 'Failed') &&
        v.vipHolder === hosts[0]!.hostId,
      150_000,
    );
    const readyMs = Date.now() - t0;
    // Joins start in waves (joins.ts, 'join-waves'): no workflow task starts more than JOIN_WAVE children.
    const firstHistory = await h.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
    let children = 0;
    let mostPerTask = 0;
    for (const e of firstHistory.events ?? []) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) children += 1;
      if (e.workflowTaskCompletedEventAttributes) children = 0;
      mostPerTask = Math.max(mostPerTask, children);
    }
    expect(mostPerTask).toBeGreaterThan(0);
    expect(mostPerTask).toBeLessThanOrEqual(JOIN_WAVE);
    // No peer table in history ('peer-tables-by-reference'): pushes and joins carry a reference; the relay
    // cuts each table from the cluster's peering set. Before, these inputs grew with hosts² (~6 MB here).
    let pushes = 0;
    let commandBytes = 0;
    for (const e of firstHistory.events ?? []) {
      const push = e.activityTaskScheduledEventAttributes;
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
      const payload = (push?.activityType?.name === 'setPeers' ? push.input : child?.input)?.payloads?.[0];
      if (!payload?.data) continue;
      commandBytes += payload.data.length;
      const input = JSON.parse(Buffer.from(payload.data).toString()) as {
        peers?: unknown[];
        peersFrom?: unknown;
      };
      expect(input.peers ?? []).toEqual([]);
      expect(input.peersFrom).toMatchObject({ workflowId: handle.workflowId });
      if (push) pushes += 1;
    }
    expect(pushes).toBeGreaterThan(0);
    expect(commandBytes / HOSTS).toBeLessThan(4 * 1024);
    const joined = ready.hosts.filter((x) => x.state === 'Joined').map((x) => x.hostId);
    expect(joined.length).toBeGreaterThan(HOSTS / 2);
    const ips = new Map(ready.hosts.map((x) => [x.hostId, x.overlayIp]));
    expect(ips.size).toBe(HOSTS);
    expect(new Set(ips.values()).size).toBe(HOSTS);

    await h.waitFor(
      'continue-as-new',
      async () => (await handle.describe()).runId,
      (r) => r !== firstRun,
      60_000,
    );
    const after = await h.view(name);
    expect(after.hosts).toHaveLength(HOSTS);
    for (const x of after.hosts) expect(x.overlayIp).toBe(ips.get(x.hostId));
    expect(after.vipHolder).toBe(ready.vipHolder);
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    const inputBytes = (started?.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
    expect(inputBytes).toBeLessThan(256 * 1024);

    // After continue-as-new a renumbering is still applied and pushed to the joined hosts, in waves
    // (push-waves.ts): every table changes, and the relay turns each push into a whole table.
    for (const x of hosts) x.behaviour.setPeersDelayMs = 100;
    setPeersInFlight.max = 0;
    const moved = h.host(joined[joined.length - 1]!);
    const mark = Math.max(...(await h.events(name)).map((e) => e.seq));
    await h.renumber([moved], 99);
    const round = await h.waitFor(
      'OverlayReconciled after continue-as-new',
      async () =>
        (await h.events(name)).find(
          (e) => e.seq > mark && e.type === 'OverlayReconciled' && e.data.trigger === 'UnderlayChanged',
        ),
      (e) => e !== undefined,
      60_000,
    );
    expect((round!.data.pushedTo as string[]).length).toBeGreaterThan(0);
    expect(setPeersInFlight.max).toBeGreaterThan(1);
    expect(setPeersInFlight.max).toBeLessThanOrEqual(REF_PUSH_WAVE);
    expect((await h.view(name)).hosts.find((x) => x.hostId === moved.hostId)?.underlayIp).toBe(
      moved.underlayIp,
    );
    const metric = {
      metric: `scale-${HOSTS}-hosts`,
      settledMs: readyMs,
      joined: joined.length,
      inputBytes,
      pushes,
      commandBytesPerHost: Math.round(commandBytes / HOSTS),
    };
    console.log(JSON.stringify(metric));
  }, 300_000);
});
