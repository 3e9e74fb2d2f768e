// One host of the site VIP hook test, run INSIDE the host's network namespace as its own process
// (`ip netns exec NS node --import tsx hook-host.ts`), wired as startAgent wires it (src/agent/agent.ts):
// the state file, the real host activities, the overlay re-applied from the state file at start, the
// version guard, the site VIP hook, the stored policy restored. No broker or control plane: the test sends
// the host activities' inputs itself.
// stdin: the first line is the config (the private key travels here, never in argv), then commands;
// stdout: JSON lines. Logs (pino, level HOOK_HOST_LOG or warn) go to stderr.
//   → {"loaded":true}                      waiting for the config line
//   → {"ready":true,"reapplied":bool}      the stored overlay and policy are back (if any)
//   → {"report":{...}}                     each VIP report (holding, reason, cluster, policyVersion, at)
//   {"id":n,"call":"setPeers","input":{}}  → {"id":n,"result":{...}} | {"id":n,"error":"..."}
//   {"id":n,"status":true}                 → {"id":n,"status":{...}|null}
//   {"stop":{"release":bool}}              → {"stopped":true}, then exit 0
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import type { HostActivities } from '../../../src/activities/host/contract.js';
import { createHostActivities } from '../../../src/activities/host/index.js';
import { nextBootEpoch } from '../../../src/agent/beacon/index.js';
import { guardPeerVersions } from '../../../src/agent/peer-version.js';
import { reapplyStoredOverlay } from '../../../src/agent/reapply.js';
import { createSiteVipHook } from '../../../src/agent/site-vip/hook.js';
import { StateStore } from '../../../src/agent/state.js';
import { processRunner } from '../../../src/net/index.js';

export interface HookHostConfig {
  hostId: string;
  stateDir: string;
  privateKeyPem: string;
  iface: string;
}

type Call = 'applyOverlay' | 'setPeers' | 'assignVip' | 'releaseVip' | 'teardown';

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const log = pino({ level: process.env.HOOK_HOST_LOG ?? 'warn' }, pino.destination(2));
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

out({ loaded: true });
const first = await lines.next();
if (first.done) process.exit(2);
const cfg = JSON.parse(first.value) as HookHostConfig;
const hostLog = log.child({ hostId: cfg.hostId });
const store = new StateStore(cfg.stateDir, cfg.hostId, hostLog);
const stored = await store.load();
const base = { hostId: cfg.hostId, underlayIface: cfg.iface, runner: processRunner, log: hostLog };
const reapplied = await reapplyStoredOverlay(
  createHostActivities({ ...base, memory: store }),
  stored,
  hostLog,
);
const hook = createSiteVipHook({
  ...base,
  epoch: await nextBootEpoch(cfg.stateDir, hostLog),
  nextEpoch: () => nextBootEpoch(cfg.stateDir, hostLog),
  privateKey: cfg.privateKeyPem,
  store,
  onReport: (report) => out({ report }),
});
const acts: HostActivities = hook.bind(guardPeerVersions(createHostActivities({ ...base, memory: store })));
if (stored.overlay) {
  const vip = stored.vipPolicy ? { vip: stored.vipPolicy } : {};
  await acts.setPeers({ spec: stored.overlay.spec, peers: stored.peers, ...vip }).catch(() => undefined);
  await hook.restore(store.current());
}
out({ ready: true, reapplied });

for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const cmd = JSON.parse(next.value) as {
    id?: number;
    call?: Call;
    input?: unknown;
    status?: true;
    stop?: { release: boolean };
  };
  if (cmd.stop) {
    await hook.stop(cmd.stop);
    out({ stopped: true });
    process.exit(0);
  } else if (cmd.status) out({ id: cmd.id, status: hook.status() });
  else if (cmd.call) {
    const call = cmd.call;
    const run = acts[call] as (input: unknown) => Promise<unknown>;
    // one at a time, as the test sends them: its assertions follow each answer
    await run(cmd.input).then(
      (result) => out({ id: cmd.id, result }),
      (err: unknown) => out({ id: cmd.id, error: String(err) }),
    );
  }
}
// stdin closed (the test went away): leave like SIGKILL would, the lifetime removes the address
await hook.stop({ release: false });
process.exit(0);
