// One lab host's VIP elector, run INSIDE the host's network namespace as its own process
// (`ip netns exec NS node --import tsx vip-lab-host.ts`), as an agent would run: the advert socket, the
// interface addresses, ip and arping all see that namespace, and SIGKILL kills it like a crashed agent.
// stdin: the first line is the config (the private key travels here, never in argv), then commands;
// stdout: JSON lines. Logs (pino, level VIP_LAB_LOG or warn) go to stderr.
//   → {"loaded":true}           modules loaded, waiting for the config line
//   → {"ready":true}            after startVipElector resolved
//   → {"transition":{...}}      on each VipTransition
//   {"status":true}             → {"status":{...}}
//   {"policy":{...}}            → setPolicy
//   {"stop":{"release":bool}}   → {"stopped":true}, then exit 0
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { startVipElector } from '../agent/vip/elector.js';
import type { VipPolicyInput } from '../agent/vip/policy.js';

export interface VipLabHostConfig {
  hostId: string;
  epoch: number;
  privateKeyPem: string;
  policy: VipPolicyInput;
  peerKeys: Array<[string, string]>;
  iface: string;
  dev: string;
  vip: string;
  port: number;
}

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const log = pino({ level: process.env.VIP_LAB_LOG ?? 'warn' }, pino.destination(2));
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

out({ loaded: true });
const first = await lines.next();
if (first.done) process.exit(2);
const cfg = JSON.parse(first.value) as VipLabHostConfig;
const elector = await startVipElector({
  hostId: cfg.hostId,
  epoch: cfg.epoch,
  privateKey: cfg.privateKeyPem,
  policy: cfg.policy,
  peerKeys: cfg.peerKeys,
  underlayIface: cfg.iface,
  overlayDev: cfg.dev,
  vip: cfg.vip,
  advertPort: cfg.port,
  log: log.child({ hostId: cfg.hostId }),
  onTransition: (t) => out({ transition: t }),
});
out({ ready: true });

for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const cmd = JSON.parse(next.value) as {
    status?: true;
    policy?: VipPolicyInput;
    stop?: { release: boolean };
  };
  if (cmd.status) out({ status: elector.status() });
  else if (cmd.policy) elector.setPolicy(cmd.policy);
  else if (cmd.stop) {
    await elector.stop(cmd.stop);
    out({ stopped: true });
    process.exit(0);
  }
}
// stdin closed (the lab went away): leave like SIGKILL would, the lifetime removes the address
await elector.stop({ release: false });
process.exit(0);
