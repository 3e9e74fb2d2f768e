// One test's world: a control worker on its own task queue (stoppable and restartable) whose host relay
// answers from fake hosts (fake-relay.ts), the hosts registered in the real host registry and reporting
// their underlay like agents (with sequences), and helpers to drive and observe a cluster.
import { connectTemporalClient } from '../../../src/clients/temporal/closed-channel-guard.js';
import { randomUUID } from 'node:crypto';
import { Client, type Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createControlActivities } from '../../../src/activities/control/index.js';
import type { ClusterOptions } from '../../../src/domain/cluster-options.js';
import { DEFAULT_OVERLAY_CIDR, DEFAULT_VNI } from '../../../src/domain/constants.js';
import { clusterWorkflowId } from '../../../src/domain/ids.js';
import { clusterTaskQueue } from '../../../src/domain/task-queues.js';
import type { ClusterView, DomainEvent, HostRole } from '../../../src/domain/types.js';
import { registerHost, reportPresence, reportUnderlay } from '../../../src/temporal/hosts.js';
import {
  type ClusterInput,
  clusterEventsQuery,
  clusterStatusQuery,
  clusterWorkflowType,
} from '../../../src/contract/workflow-messages.js';
import { temporalAddress, uniqueTaskQueue, workflowBundle } from '../../helpers/temporal.js';
import { FakeHost, type FakeHostBehaviour } from './fake-host.js';
import { tellClusterAsRelay } from './relay-tells-cluster.js';
import { createFakeRelayActivities } from './fake-relay.js';
import { FakeSite } from './fake-site.js';

/** The n-th fake host's underlay address: 10.213.<subnet>.<10+n> as always; past one /24, the next ones
 * (a 1000-host cluster) go on in 10.214-217.x. */
const underlayAddress = (subnet: number, n: number): string =>
  n < 240
    ? `10.213.${subnet}.${10 + n}`
    : `10.${214 + Math.floor((n - 240) / 250)}.${subnet}.${1 + ((n - 240) % 250)}`;

export const suffix = (): string => randomUUID().slice(0, 6);

export class ClusterHarness {
  readonly taskQueue = uniqueTaskQueue('cluster');
  readonly hosts: FakeHost[] = [];
  /** The fake hosts' site VIP election (clusters created under 'site-vip-election'). */
  readonly site: FakeSite;
  /** The cluster queue beside taskQueue (served only after startClusterWorker, as src/worker.ts does). */
  readonly clusterTaskQueue = clusterTaskQueue(this.taskQueue);
  private worker: Worker | null = null;
  private workerRun: Promise<void> | null = null;
  private clusterWorker: { worker: Worker; run: Promise<void> } | null = null;
  private subnet = 1 + Math.floor(Math.random() * 250);

  private constructor(
    readonly client: Client,
    private readonly connection: Connection,
    readonly native: NativeConnection,
  ) {
    this.site = new FakeSite(client, () => this.hosts);
  }

  static async create(): Promise<ClusterHarness> {
    const connection = await connectTemporalClient({ address: temporalAddress() });
    const native = await NativeConnection.connect({ address: temporalAddress() });
    const h = new ClusterHarness(new Client({ connection }), connection, native);
    await h.startControlWorker();
    return h;
  }

  async startControlWorker(opts: { workflowsPath?: string } = {}): Promise<void> {
    this.worker = await Worker.create({
      connection: this.native,
      taskQueue: this.taskQueue,
      ...(opts.workflowsPath ? { workflowsPath: opts.workflowsPath } : { workflowBundle: workflowBundle() }),
      activities: {
        ...createControlActivities({ client: this.client }),
        ...createFakeRelayActivities(this.client, (id) => this.hosts.find((x) => x.hostId === id)),
      },
      stickyQueueScheduleToStartTimeout: '1s',
      shutdownGraceTime: '1s',
    });
    this.workerRun = this.worker.run();
  }

  /** The production topology: a second Worker, control activities only, for clusters on clusterTaskQueue
   * (the fake relay is registered on taskQueue only: host work sent to the cluster queue would hang). */
  async startClusterWorker(): Promise<void> {
    const worker = await Worker.create({
      connection: this.native,
      taskQueue: this.clusterTaskQueue,
      workflowBundle: workflowBundle(),
      activities: createControlActivities({ client: this.client }),
      stickyQueueScheduleToStartTimeout: '1s',
      shutdownGraceTime: '1s',
    });
    this.clusterWorker = { worker, run: worker.run() };
  }

  async stopControlWorker(): Promise<void> {
    const cw = this.clusterWorker;
    if (cw?.worker.getState() === 'RUNNING') cw.worker.shutdown();
    await cw?.run;
    this.clusterWorker = null;
    if (this.worker?.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun;
    this.worker = null;
  }

  /** Registers `n` fake hosts in the host registry; each then reports its underlay like an agent. */
  async addHosts(n: number, prefix = 'h', behaviour: (i: number) => FakeHostBehaviour = () => ({})) {
    const s = suffix();
    const made: FakeHost[] = [];
    for (let i = 0; i < n; i++) {
      const host = new FakeHost(
        `${prefix}${i + 1}-${s}`,
        underlayAddress(this.subnet, this.hosts.length + i),
        behaviour(i),
      );
      host.site = this.site;
      made.push(host);
    }
    this.hosts.push(...made);
    await Promise.all(
      made.map(async (h) => {
        await registerHost(
          this.client,
          { hostId: h.hostId, underlayIp: h.underlayIp },
          { taskQueue: this.taskQueue },
        );
        await this.report(h);
      }),
    );
    return made;
  }

  /** The agent's underlay report with its next sequence, as the control worker relays it: the host
   * workflow's update, then the host's cluster told from the record it returns (control/cluster-underlay.ts;
   * since 'relay-tells-cluster' the host workflow does not tell it). */
  async report(f: FakeHost): Promise<unknown> {
    f.underlaySeq += 1;
    const input = { hostId: f.hostId, seq: f.underlaySeq, underlayIp: f.underlayIp, underlayIface: 'eth0' };
    return tellClusterAsRelay(
      this.client,
      await reportUnderlay(this.client, input, { taskQueue: this.taskQueue }),
    );
  }

  /** DHCP renumbering as the agent reports it: a newer underlay report with the new address. */
  async renumber(fakes: FakeHost[], thirdOctet: number): Promise<void> {
    await Promise.all(
      fakes.map((f, i) => {
        f.underlayIp = `10.213.${thirdOctet}.${100 + i}`;
        return this.report(f);
      }),
    );
  }

  /** The broker's view of the hosts' agents (online status, or the Last Will), relayed as a transition. */
  async presence(fakes: FakeHost[], online: boolean): Promise<void> {
    const at = new Date().toISOString();
    await Promise.all(fakes.map((f) => reportPresence(this.client, { hostId: f.hostId, online, at })));
  }

  host(hostId: string): FakeHost {
    const h = this.hosts.find((x) => x.hostId === hostId);
    if (!h) throw new Error(`no fake host ${hostId}`);
    return h;
  }

  async startCluster(
    hosts: Array<{ hostId: string; role: HostRole }>,
    options: Partial<ClusterOptions> = {},
    extra: Partial<ClusterInput> = {},
    on: { clusterQueue?: boolean } = {},
  ): Promise<{ name: string; handle: WorkflowHandle }> {
    const name = `c-${suffix()}`;
    const input: ClusterInput = {
      name,
      overlayCidr: DEFAULT_OVERLAY_CIDR,
      vni: DEFAULT_VNI,
      mode: 'unicast',
      hosts,
      options: {
        heartbeatTimeoutMs: 600_000,
        reconcileDebounceMs: 300,
        hostActivityTimeoutMs: 20_000,
        ...options,
      },
      ...extra,
    };
    const handle = await this.client.workflow.start(clusterWorkflowType, {
      workflowId: clusterWorkflowId(name),
      taskQueue: on.clusterQueue ? this.clusterTaskQueue : this.taskQueue,
      args: [input],
    });
    return { name, handle };
  }

  handle(name: string): WorkflowHandle {
    return this.client.workflow.getHandle(clusterWorkflowId(name));
  }
  view(name: string): Promise<ClusterView> {
    return this.handle(name).query(clusterStatusQuery);
  }
  events(name: string): Promise<DomainEvent[]> {
    return this.handle(name).query(clusterEventsQuery);
  }

  async waitFor<T>(
    what: string,
    fn: () => Promise<T>,
    ok: (v: T) => boolean,
    timeoutMs = 30_000,
  ): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: T | undefined;
    for (;;) {
      try {
        last = await fn();
        if (ok(last)) return last;
      } catch (err) {
        if (Date.now() > end) throw err;
      }
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  waitForView(name: string, what: string, ok: (v: ClusterView) => boolean, timeoutMs?: number) {
    return this.waitFor(what, () => this.view(name), ok, timeoutMs);
  }

  async close(): Promise<void> {
    await this.stopControlWorker();
    for (const h of this.hosts) h.unhang();
    await this.native.close();
    await this.connection.close();
  }
}

export const roles = (hosts: FakeHost[], controlPlanes = 1) =>
  hosts.map((h, i) => ({
    hostId: h.hostId,
    role: (i < controlPlanes ? 'control-plane' : 'worker') as HostRole,
  }));
