// A UDP mesh prober for one lab host (run inside its namespace with `node --import tsx`): echoes
// probes on OVERLAY_IP:PORT and probes every peer every INTERVAL_MS. Per peer it writes `okSince`, the
// send time of the first probe of the current unbroken run of answered probes (null while a probe is
// unanswered), to OUT_FILE. Lets benchmarks time full-mesh reachability without N² ping processes.
import { createSocket } from 'node:dgram';
import { renameSync, writeFileSync } from 'node:fs';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const self = env('OVERLAY_IP');
const port = Number(env('PORT'));
const peers = env('PEERS').split(',').filter(Boolean);
const intervalMs = Number(env('INTERVAL_MS'));
const outFile = env('OUT_FILE');
/** A probe unanswered this long breaks the run. */
const lossMs = Math.max(100, 3 * intervalMs);

interface PeerState {
  okSince: number | null;
  /** Sent, unanswered probes: seq → send time. */
  pending: Map<number, number>;
  /** Recently answered probes: seq → send time (a loss found late restarts the run after it). */
  answered: Map<number, number>;
}
const state = new Map<string, PeerState>(
  peers.map((p) => [p, { okSince: null, pending: new Map(), answered: new Map() }]),
);
let seq = 0;

const socket = createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  const [kind, s, t] = msg.toString().split(' ');
  if (kind === 'ping') socket.send(`pong ${s} ${t}`, rinfo.port, rinfo.address);
  if (kind !== 'pong') return;
  const peer = state.get(rinfo.address);
  if (!peer?.pending.delete(Number(s))) return;
  peer.answered.set(Number(s), Number(t));
  if (peer.okSince === null) peer.okSince = Number(t);
});
socket.bind(port, self);

const tick = () => {
  const now = Date.now();
  seq++;
  for (const [ip, peer] of state) {
    for (const [s, sentAt] of peer.pending) {
      if (now - sentAt < lossMs) continue;
      peer.pending.delete(s);
      const after = [...peer.answered].filter(([a]) => a > s).map(([, t]) => t);
      peer.okSince = after.length > 0 ? Math.min(...after) : null;
    }
    for (const [s, sentAt] of peer.answered) if (now - sentAt > 3 * lossMs) peer.answered.delete(s);
    peer.pending.set(seq, now);
    socket.send(`ping ${seq} ${now}`, port, ip);
  }
  // Written only when a peer's okSince changed: 20 probers rewriting their file every tick cost ~0.3 of a
  // core, taken from the control plane the benchmark times.
  const out = JSON.stringify(Object.fromEntries([...state].map(([ip, p]) => [ip, p.okSince])));
  if (out === written) return;
  writeFileSync(`${outFile}.tmp`, `{"at":${now},"peers":${out}}`);
  renameSync(`${outFile}.tmp`, outFile);
  written = out;
};
let written = '';
const timer = setInterval(tick, intervalMs);
process.once('SIGTERM', () => {
  clearInterval(timer);
  socket.close();
  process.exit(0);
});
