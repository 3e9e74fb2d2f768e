// Fake agents for the benchmarks (bench:events, bench:api): each one is the agent's REAL host channel
// (src/agent/channel: an MQTT 5 session under the host's own certificate through the real broker and its
// ACL; status, underlay report, command dispatcher with the activities' own input schemas) in front of
// in-memory command handlers (test/workflows/support/fake-host.ts: preflight ok, overlay applied, peer
// tables kept by version). The site VIP election of the fake hosts (test/workflows/support/fake-site.ts)
// reports over the holder's own channel, as the agent's elector does, so site-elected clusters get a holder
// and reach Ready. Only the kernel and the underlay beacon are missing.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { type ChannelIdentity, type HostChannel, startHostChannel } from '../src/agent/channel/index.js';
import { FakeHost } from '../test/workflows/support/fake-host.js';
import { FakeSite, type SiteReport } from '../test/workflows/support/fake-site.js';

export interface FakeAgent {
  hostId: string;
  host: FakeHost;
  channel: HostChannel;
}

export interface FakeAgentFleetOptions {
  /** Each agent keeps its underlay report sequence in `<stateRoot>/<hostId>` (as the agent's state dir). */
  stateRoot: string;
  log: Logger;
  agentVersion?: string;
  /** How long start() waits for the session to be connected and subscribed (default 30 s). */
  connectTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeAgentFleet {
  private readonly agents = new Map<string, FakeAgent>();
  /** FakeSite scans this list for a cluster's electors. */
  private readonly hostList: FakeHost[] = [];
  readonly site: FakeSite;

  constructor(private readonly o: FakeAgentFleetOptions) {
    // FakeSite signals its reports to the cluster workflow through a Temporal client; here the "client"
    // hands each report to its host's own channel instead (vip leaf → control relay → cluster workflow).
    const overChannels = {
      workflow: {
        getHandle: () => ({
          signal: async (_signal: unknown, { hostId, ...report }: SiteReport) =>
            this.agents.get(hostId)?.channel.reportVip(report),
        }),
      },
    };
    this.site = new FakeSite(overChannels as unknown as Client, () => this.hostList);
  }

  get size(): number {
    return this.agents.size;
  }

  get(hostId: string): FakeAgent | undefined {
    return this.agents.get(hostId);
  }

  all(): FakeAgent[] {
    return [...this.agents.values()];
  }

  /** Starts one agent, reports its underlay address and resolves once its session is subscribed (a command
   * sent from then on reaches it). */
  async start(identity: ChannelIdentity, underlayIp: string): Promise<FakeAgent> {
    const { hostId } = identity;
    if (this.agents.has(hostId)) throw new Error(`fake agent ${hostId} runs already`);
    const stateDir = join(this.o.stateRoot, hostId);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const host = new FakeHost(hostId, underlayIp);
    host.site = this.site;
    const channel = await startHostChannel({
      identity,
      stateDir,
      handlers: host.activities(),
      log: this.o.log,
      epoch: Date.now(),
      agentVersion: this.o.agentVersion ?? 'bench',
    });
    const agent = { hostId, host, channel };
    this.agents.set(hostId, agent);
    this.hostList.push(host);
    await channel.reportUnderlay(underlayIp, 'eth0', 24);
    const until = Date.now() + (this.o.connectTimeoutMs ?? 30_000);
    while (!channel.connected()) {
      if (Date.now() > until) throw new Error(`fake agent ${hostId}: not connected to the broker in time`);
      await sleep(20);
    }
    return agent;
  }

  /** Commands handled per kind, over every agent (what the control plane asked of the hosts). */
  commandCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { host } of this.agents.values()) for (const c of host.calls) out[c] = (out[c] ?? 0) + 1;
    return out;
  }

  /** Stops every agent (offline published, sessions kept), 64 at a time. */
  async stop(): Promise<void> {
    const all = this.all();
    for (let i = 0; i < all.length; i += 64)
      await Promise.all(all.slice(i, i + 64).map((a) => a.channel.stop().catch(() => undefined)));
    this.agents.clear();
  }
}
