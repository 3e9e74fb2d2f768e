// npm run bench:agent-floor -- [--advert-ms 100] [--voters 3]
// The least idle CPU a control-plane agent can use while it runs the site VIP election (issue 13) with its
// adverts every A, before any of its own logic: the operations it cannot skip, each measured in the agent's
// node (its own flags, bench/agent-floor-ops.ts), times how often the election runs them. Beside
// bench:agent (which measures the whole agent), this says whether issue 12's "idle CPU < 1 %" can hold
// together with issue 13's failover (~6.5 A, so A = 100 ms for <= 1 s). Per second, V voters:
//  - the holder: an advert every A (a wake-up, a signature, a send; its own broadcast comes back to it, a
//    receive), V-1 answers (a receive and a signature check each), a lease renewal every renewMs (2A here);
//  - a follower: the holder's advert (a receive and a check) answered in the same wake-up (a signature and
//    a send), its own broadcast back, and the other followers' answers (received, dropped unchecked).
// Also printed: the same with a MAC per receiver (pairwise keys) in place of Ed25519, and the shortest
// advert interval the policy allows at which the holder's floor reaches 1 % (null: none does). Root (the
// renewal runs in a namespace). JSON out.
// Not exact either way: a receive that shares a wake-up with another is counted with one of its own (a
// little high), and the agent's own work (the rules, timers, counters) is not counted (bench:agent has it).
import { build } from 'esbuild';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_ENTRY, agentNodeFlags } from '../src/agent/node-flags.js';
import { windowsOf } from '../src/agent/vip/policy.js';
import { MAX_ADVERT_INTERVAL_MS, MIN_ADVERT_INTERVAL_MS } from '../src/domain/site-vip.js';
import { round } from './agent-measure.js';

const { values } = parseArgs({
  options: { 'advert-ms': { type: 'string', default: '100' }, voters: { type: 'string', default: '3' } },
});
const advertMs = Number(values['advert-ms']);
const voters = Number(values.voters);
if (
  !(advertMs >= MIN_ADVERT_INTERVAL_MS && advertMs <= MAX_ADVERT_INTERVAL_MS) ||
  !Number.isInteger(voters) ||
  voters < 2
)
  throw new Error(
    `usage: --advert-ms MS (${MIN_ADVERT_INTERVAL_MS}-${MAX_ADVERT_INTERVAL_MS}) --voters N (>= 2)`,
  );
if (process.getuid?.() !== 0)
  throw new Error('bench:agent-floor renews a lease in a namespace: run it as root');

interface Ops {
  ed25519SignUs: number;
  ed25519VerifyUs: number;
  hmacSha256Us: number;
  wakeUs: number;
  sendUs: number;
  receiveUs: number;
  renewUs: number;
}

const flags = agentNodeFlags(AGENT_ENTRY);
// Bundled, as the agent ships (scripts/build-agent.ts): under tsx's loader a datagram send cost ~2 ms of
// CPU here instead of ~0.3 ms, which would be measuring tsx, not the agent.
const dir = mkdtempSync(join(tmpdir(), 'eo-agent-floor-'));
let stdout: string;
try {
  const child = join(dir, 'ops.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./agent-floor-ops.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: child,
    logLevel: 'error',
  });
  process.stderr.write(`[bench:agent-floor] measuring in node ${flags.join(' ')} (~30 s)\n`);
  ({ stdout } = await execa(process.execPath, [...flags, child]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const ops = JSON.parse(stdout) as Ops;

/** µs of CPU per second for each role at advert interval `a`, with `sign`/`check` the cost of signing and
 * checking one advert. The holder renews every renewMs (2A, sooner for a long A: policy.ts). */
function perSecond(a: number, sign: number, check: number) {
  const { renewMs } = windowsOf({ advertIntervalMs: a });
  const holder = ops.wakeUs + sign + ops.sendUs + ops.receiveUs + (voters - 1) * (ops.receiveUs + check);
  const follower = ops.receiveUs + check + sign + ops.sendUs + ops.receiveUs + (voters - 2) * ops.receiveUs;
  return { holder: (holder * 1000) / a + (ops.renewUs * 1000) / renewMs, follower: (follower * 1000) / a };
}

function floor(sign: number, check: number) {
  const at = perSecond(advertMs, sign, check);
  // The shortest interval the policy allows (10 ms steps) at which the holder's floor is at most 1 % of a
  // core (10 ms/s); null when none is: its renewals alone (every <= 275 ms, for the 1 s kernel lifetime that
  // bounds a SIGKILLed holder) do not slow down with A.
  let onePercentAt: number | null = null;
  for (let a = MIN_ADVERT_INTERVAL_MS; a <= MAX_ADVERT_INTERVAL_MS && onePercentAt === null; a += 10)
    if (perSecond(a, sign, check).holder <= 10_000) onePercentAt = a;
  return {
    holderPercent: round(at.holder / 1e4, 2),
    followerPercent: round(at.follower / 1e4, 2),
    holderOnePercentAtAdvertMs: onePercentAt,
  };
}

const result = {
  bench: 'agent-floor',
  advertMs,
  voters,
  entry: `node ${flags.join(' ')}`,
  opsUs: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, round(v)])),
  ed25519: floor(ops.ed25519SignUs, ops.ed25519VerifyUs),
  pairwiseMac: floor((voters - 1) * ops.hmacSha256Us, ops.hmacSha256Us),
  goalPercent: 1,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
