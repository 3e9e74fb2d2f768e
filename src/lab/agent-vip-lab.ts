// The VIP fault lab on the real product: the whole control plane, a DHCP lab whose agents enrolled and
// joined a cluster created through the API (stack.ts), 3 control-plane hosts electing the VIP. The same
// fault runs as the electors-alone lab (vip-lab-faults.ts), measured the same way on the kernel, plus what
// the user sees: how long the API takes to name the kernel's holder once the successor holds (and again
// after the restore). With `controlCut` the site is cut off the control plane (its forwarders stop) from
// just before each fault until the successor holds: the election must not need the control plane, and
// the API must catch up once it can reach the hosts again.
import type { Logger } from 'pino';
import { OVERLAY_BRIDGE } from '../domain/constants.js';
import { processRunner } from '../net/index.js';
import { startControlAccess, stopControlAccess } from './control-access.js';
import { startAgent } from './lab-agent.js';
import { controlTargets } from './loopback-plane.js';
import { type LocalStack, startLocalStack } from './stack.js';
import type { VipFaultLab } from './vip-lab-faults.js';
import { HolderChecker, VipPinger } from './vip-lab-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The API is polled this often for its vipHolder. */
const API_POLL_MS = 100;
const API_CATCH_UP_LIMIT_MS = 60_000;

export class AgentVipLab implements VipFaultLab {
  readonly pingers: VipPinger[];
  readonly checker: HolderChecker;

  private constructor(
    private readonly stack: LocalStack,
    private readonly controlCut: boolean,
  ) {
    const hosts = stack.lab.hosts;
    this.checker = new HolderChecker(
      hosts.map((h) => ({ hostId: h.hostId, ns: h.ns })),
      OVERLAY_BRIDGE,
      stack.cluster.vip,
    );
    this.pingers = hosts.map((h) => new VipPinger(h.ns, stack.cluster.vip));
  }

  static async create(o: { hosts: number; log: Logger; controlCut: boolean }): Promise<AgentVipLab> {
    const stack = await startLocalStack({ hosts: o.hosts, log: o.log, agentLogLevel: 'info' });
    const lab = new AgentVipLab(stack, o.controlCut);
    lab.checker.start();
    return lab;
  }

  get hosts() {
    return this.stack.lab.hosts;
  }

  /** The cluster's control-plane hosts: the voters, the only possible holders. */
  get voters(): string[] {
    return this.stack.cluster.hosts.filter((h) => h.role === 'control-plane').map((h) => h.hostId);
  }

  indexOf(hostId: string): number {
    return this.hosts.findIndex((h) => h.hostId === hostId);
  }

  powerOff = (i: number) => linkSet(this.hosts[i]!.ns, this.hosts[i]!.iface, 'down');
  powerOn = (i: number) => linkSet(this.hosts[i]!.ns, this.hosts[i]!.iface, 'up');
  isolate = (i: number) => linkSet(this.stack.lab.switchNs, this.hosts[i]!.switchPort, 'down');
  heal = (i: number) => linkSet(this.stack.lab.switchNs, this.hosts[i]!.switchPort, 'up');

  kill(i: number): void {
    const agent = this.hosts[i]!.agent;
    if (agent) process.kill(agent.pid, 'SIGKILL');
  }

  async startHost(i: number): Promise<void> {
    const host = this.hosts[i]!;
    delete host.agent; // killed: its PID is gone
    await startAgent(this.stack.lab, host, { api: this.stack.api, logLevel: 'info' });
  }

  /** From the kernel samples (an agent's own log would need parsing): the first single holder ≠ except. */
  gainsAfter(at: number, except?: string): Array<{ hostId: string; at: number }> {
    const gains: Array<{ hostId: string; at: number }> = [];
    let previous: string | undefined;
    for (const s of this.checker.samples) {
      const holder = s.holders.length === 1 ? s.holders[0] : undefined;
      if (s.at > at && holder && holder !== except && holder !== previous)
        gains.push({ hostId: holder, at: s.at });
      previous = holder;
    }
    return gains;
  }

  async beforeFault(): Promise<void> {
    if (this.controlCut) await stopControlAccess(this.stack.lab);
  }

  /** The successor holds: reconnect the site if it was cut, then time the API until it names it. */
  async afterFailover(): Promise<Record<string, number | null>> {
    // Timed from before the forwarders start: the agents reconnect while they do (a few hundred ms).
    const from = Date.now();
    if (this.controlCut) await startControlAccess(this.stack.lab, controlTargets(this.stack.plane));
    return { apiCatchUpMs: await this.untilApiNamesKernelHolder(from) };
  }

  /** After the restore (the old holder may have taken the VIP back): the API again. */
  async afterRestore(): Promise<Record<string, number | null>> {
    return { apiAfterRestoreMs: await this.untilApiNamesKernelHolder() };
  }

  private async untilApiNamesKernelHolder(from = Date.now()): Promise<number | null> {
    while (Date.now() - from < API_CATCH_UP_LIMIT_MS) {
      const last = this.checker.last;
      const kernel = last?.holders.length === 1 ? last.holders[0] : undefined;
      const view = await this.stack.api.getCluster(this.stack.cluster.name).catch(() => null);
      if (kernel && view?.vipHolder === kernel) return Date.now() - from;
      await sleep(API_POLL_MS);
    }
    return null;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.pingers.map((p) => p.stop()));
    await this.checker.stop().catch(() => undefined);
    await this.stack.close();
  }
}

async function linkSet(ns: string, dev: string, state: 'up' | 'down'): Promise<void> {
  await processRunner.run('ip', ['-n', ns, 'link', 'set', 'dev', dev, state]);
}
