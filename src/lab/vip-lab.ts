// A lab for the site VIP election on the real kernel: N hosts in network namespaces on one L2 switch, a
// unicast VxLAN overlay between them (programmed by the real host activities), one elector process per
// host inside its namespace (vip-lab-host.ts), and two observers (vip-lab-watch.ts): a checker sampling
// every host's VIP every 50 ms and a pinger per host. Faults: power a host off (its eth0 down), cut it
// from the switch (the switch port down), SIGKILL its elector. Used by test/agent/vip/elector-netns.test.ts
// and bench/vip.ts. Everything it makes goes in cleanup(), which never throws.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createHostActivities } from '../activities/host/index.js';
import type { VipTransition } from '../agent/vip/elector.js';
import type { VipPolicyInput } from '../agent/vip/policy.js';
import { spkiBase64 } from '../agent/beacon/keys.js';
import { DEFAULT_OVERLAY_CIDR, DEFAULT_VNI, OVERLAY_BRIDGE, VXLAN_UDP_PORT } from '../domain/constants.js';
import { parseCidr } from '../domain/cidr.js';
import { createIpam } from '../domain/ipam.js';
import type { OverlaySpec } from '../domain/types.js';
import { processRunner, linkSetMaster } from '../net/index.js';
import { addBridge, cleanupLab, createL2Switch, createNetns, plugVeth, setStaticAddress } from './netns.js';
import { VipHostProcess } from './vip-lab-proc.js';
import { HolderChecker, VipPinger } from './vip-lab-watch.js';

export const VIP_LAB_PORT = 4791;

export interface VipLabHost {
  hostId: string;
  ns: string;
  /** The host's port on the switch (in the switch namespace). */
  switchPort: string;
  underlayIp: string;
  overlayIp: string;
  privateKeyPem: string;
  spki: string;
  proc: VipHostProcess | undefined;
}

export interface LabTransition extends VipTransition {
  hostId: string;
}

export interface VipLabOptions {
  hosts: number;
  advertIntervalMs?: number;
  /** Priorities by host index (default: all 100; ties go to the smaller host id). */
  priorities?: number[];
}

export class VipLab {
  readonly transitions: LabTransition[] = [];
  readonly checker: HolderChecker;
  readonly pingers: VipPinger[] = [];
  private epochs = Date.now();
  private readonly sides = new Set<string>();

  private constructor(
    readonly id: string,
    readonly switchNs: string,
    readonly spec: OverlaySpec,
    readonly hosts: VipLabHost[],
    readonly policy: VipPolicyInput,
    private readonly namespaces: string[],
  ) {
    this.checker = new HolderChecker(hosts, OVERLAY_BRIDGE, spec.vip);
  }

  static async create(opts: VipLabOptions): Promise<VipLab> {
    const id = randomBytes(3).toString('hex');
    const subnet = `10.214.${1 + (randomBytes(1)[0]! % 250)}`;
    const switchNs = `eov-${id}-sw`;
    const namespaces = [switchNs];
    // the cluster's overlay as the control plane makes it: its CIDR, the VIP its IPAM reserves
    const ipam = createIpam(DEFAULT_OVERLAY_CIDR);
    const prefixLength = parseCidr(ipam.cidr).prefix;
    const spec: OverlaySpec = {
      clusterName: 'vip',
      overlayCidr: ipam.cidr,
      prefixLength,
      vip: ipam.vip,
      vni: DEFAULT_VNI,
      mode: 'unicast',
      port: VXLAN_UDP_PORT,
    };
    const hosts: VipLabHost[] = [];
    try {
      await createL2Switch(switchNs, 'br0');
      for (let i = 1; i <= opts.hosts; i++) {
        const ns = `eov-${id}-h${i}`;
        namespaces.push(ns);
        await createNetns(ns);
        const switchPort = `v${id}h${i}`;
        await plugVeth({ switchNs, bridge: 'br0', switchPort, hostNs: ns, hostIface: 'eth0' });
        const underlayIp = `${subnet}.${10 + i}`;
        await setStaticAddress(ns, 'eth0', `${underlayIp}/24`);
        const { privateKey } = generateKeyPairSync('ed25519');
        hosts.push({
          hostId: `h${i}`,
          ns,
          switchPort,
          underlayIp,
          overlayIp: `100.64.192.${10 + i}`,
          privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          spki: spkiBase64(privateKey),
          proc: undefined,
        });
      }
      await programOverlay(spec, hosts);
    } catch (err) {
      await cleanupLab({ namespaces });
      throw err;
    }
    const policy: VipPolicyInput = {
      clusterName: spec.clusterName,
      vip: spec.vip,
      policyVersion: 1,
      advertIntervalMs: opts.advertIntervalMs ?? 100,
      voters: hosts.map((h) => h.hostId),
      eligible: hosts.map((h, i) => ({ hostId: h.hostId, priority: opts.priorities?.[i] ?? 100 })),
    };
    return new VipLab(id, switchNs, spec, hosts, policy, namespaces);
  }

  get vip(): string {
    return this.spec.vip;
  }

  /**
   * Starts the observers and every host's elector. The processes load first; the configs then go out
   * together, so the electors start within milliseconds of each other. Resolves with that moment.
   */
  async start(): Promise<number> {
    this.checker.start();
    for (const h of this.hosts) this.pingers.push(new VipPinger(h.ns, this.vip));
    await Promise.all(this.hosts.map((_, i) => this.spawnHost(i)));
    const at = Date.now();
    await Promise.all(this.hosts.map((_, i) => this.configureHost(i)));
    return at;
  }

  /** (Re)starts host i's elector with a new epoch; resolves when it runs. */
  async startHost(i: number): Promise<void> {
    await this.spawnHost(i);
    await this.configureHost(i);
  }

  private async spawnHost(i: number): Promise<void> {
    const h = this.hosts[i]!;
    if (h.proc?.alive) throw new Error(`${h.hostId} is running`);
    h.proc = VipHostProcess.spawn(h.ns, h.hostId, (hostId, t) => this.transitions.push({ hostId, ...t }));
    await h.proc.waitFor((l) => l.loaded === true, 60_000);
  }

  private async configureHost(i: number): Promise<void> {
    const h = this.hosts[i]!;
    await h.proc!.configure({
      hostId: h.hostId,
      epoch: ++this.epochs,
      privateKeyPem: h.privateKeyPem,
      policy: this.policy,
      peerKeys: this.hosts.map((p) => [p.hostId, p.spki]),
      iface: 'eth0',
      dev: OVERLAY_BRIDGE,
      vip: this.vip,
      port: VIP_LAB_PORT,
    });
  }

  indexOf(hostId: string): number {
    return this.hosts.findIndex((h) => h.hostId === hostId);
  }

  /** "Power off": the host's own link goes down (its elector keeps running and must fence itself). */
  powerOff = (i: number) => linkSet(this.hosts[i]!.ns, 'eth0', 'down');
  powerOn = (i: number) => linkSet(this.hosts[i]!.ns, 'eth0', 'up');
  /** Cut from every peer at the switch; the host itself sees its link up. */
  isolate = (i: number) => linkSet(this.switchNs, this.hosts[i]!.switchPort, 'down');
  heal = (i: number) => linkSet(this.switchNs, this.hosts[i]!.switchPort, 'up');
  kill = (i: number) => this.hosts[i]!.proc?.kill();

  /**
   * Cuts the L2 into sides: each group of host indexes moves to a switch bridge of its own (this kernel's
   * bridge has no VLAN filtering), so hosts talk only within their side; the others stay on br0.
   */
  async split(groups: number[][]): Promise<void> {
    for (const [k, group] of groups.entries()) {
      const side = `br${k + 1}`;
      if (!this.sides.has(side)) {
        await addBridge(this.switchNs, side);
        this.sides.add(side);
      }
      for (const i of group) await this.portMaster(i, side);
    }
  }

  /** Every port back on br0. */
  async unsplit(): Promise<void> {
    for (const [i] of this.hosts.entries()) await this.portMaster(i, 'br0');
  }

  private portMaster = (i: number, bridge: string) =>
    linkSetMaster(processRunner, this.hosts[i]!.switchPort, bridge, this.switchNs);

  /** Gains after `at` by hosts other than `except`. */
  gainsAfter(at: number, except?: string): LabTransition[] {
    return this.transitions.filter((t) => t.holding && t.at > at && t.hostId !== except);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.proc?.stop(true).catch(() => undefined)));
    await Promise.all(this.pingers.map((p) => p.stop()));
    await this.checker.stop().catch(() => undefined);
    const processes = this.hosts.flatMap((h) =>
      h.proc?.pid ? [{ pid: h.proc.pid, expectComm: 'node' }] : [],
    );
    await cleanupLab({ processes, namespaces: this.namespaces });
  }
}

/** ip -n NS link set dev DEV up|down (src/net has no "down" verb; only the lab needs one). */
async function linkSet(ns: string, dev: string, state: 'up' | 'down'): Promise<void> {
  await processRunner.run('ip', ['-n', ns, 'link', 'set', 'dev', dev, state]);
}

async function programOverlay(spec: OverlaySpec, hosts: VipLabHost[]): Promise<void> {
  const log = pino({ level: 'silent' });
  const acts = hosts.map((h) =>
    createHostActivities({
      hostId: h.hostId,
      underlayIface: 'eth0',
      netns: h.ns,
      runner: processRunner,
      log,
    }),
  );
  const peers = hosts.map((h) => ({ hostId: h.hostId, underlayIp: h.underlayIp, overlayIp: h.overlayIp }));
  for (const [i, a] of acts.entries()) await a.applyOverlay({ spec, overlayIp: hosts[i]!.overlayIp });
  for (const a of acts) await a.setPeers({ spec, peers });
}
