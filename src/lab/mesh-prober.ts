// A UDP mesh prober for one lab host (run inside its namespace with `node --import tsx`): sends a numbered
// beat to every peer every INTERVAL_MS on OVERLAY_IP:PORT, and records the beats it receives. Per peer it
// writes `okSince` to OUT_FILE: the send time of the first beat of the current unbroken run of beats
// received FROM that peer (a missing number breaks the run; null while none arrived for lossMs). Each
// prober covers the direction towards itself, so all of them together cover every ordered pair, as a
// request/answer probe per pair did, with half the datagrams: at 20 hosts the probers were the lab's
// largest CPU user (~0.85 of a core for ~15 000 datagrams/s), taken from the agents and the control plane
// the benchmarks time. Lets benchmarks time full-mesh reachability without N² ping processes.
import { createSocket, type Socket } from 'node:dgram';
import { renameSync, writeFileSync } from 'node:fs';
import { requiredEnv as env } from './required-env.js';

const self = env('OVERLAY_IP');
const port = Number(env('PORT'));
const peers = env('PEERS').split(',').filter(Boolean);
const intervalMs = Number(env('INTERVAL_MS'));
const outFile = env('OUT_FILE');
/** No beat from a peer for this long breaks its run. */
const lossMs = Math.max(100, 3 * intervalMs);

interface PeerState {
  okSince: number | null;
  /** The newest beat received: its number, and when it arrived (local clock). */
  lastSeq: number;
  lastAt: number;
}
const state = new Map<string, PeerState>(peers.map((p) => [p, { okSince: null, lastSeq: -1, lastAt: 0 }]));
let seq = 0;

// A beat is 12 bytes: its number (uint32) and its send time (float64, ms), one buffer per tick for every
// peer. Each peer gets a socket of its own connected to it: a send on a connected socket skips the address
// lookup an unconnected send makes each time. With text beats built per peer and sent from the bound socket,
// 20 probers on this machine took 0.40-0.44 of a core (loopback, a beat every 100 ms); as below, 0.31-0.33.
const BEAT_BYTES = 12;
const socket = createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  const peer = state.get(rinfo.address);
  if (!peer || msg.length !== BEAT_BYTES) return;
  const n = msg.readUInt32BE(0);
  if (n <= peer.lastSeq) return; // reordered or repeated: says nothing new
  // The run goes on only with the very next beat; after a gap (or none yet) it starts at this one.
  if (peer.okSince === null || n !== peer.lastSeq + 1) peer.okSince = msg.readDoubleBE(4);
  peer.lastSeq = n;
  peer.lastAt = Date.now();
});
socket.bind(port, self);

/** One socket per peer, from this host's overlay address, connected to the peer's prober (once it is). */
const senders = new Map<string, Socket>();
for (const ip of peers) {
  const s = createSocket('udp4');
  // a send error (no route while the overlay is down, a refused one) is a lost beat: the peer's run shows it
  s.on('error', () => undefined);
  s.bind(0, self, () => s.connect(port, ip, () => senders.set(ip, s)));
}

const tick = () => {
  const now = Date.now();
  seq++;
  // a buffer per tick (a send the kernel could not take at once waits in libuv with it)
  const beat = Buffer.allocUnsafe(BEAT_BYTES);
  beat.writeUInt32BE(seq, 0);
  beat.writeDoubleBE(now, 4);
  for (const [ip, peer] of state) {
    if (peer.okSince !== null && now - peer.lastAt >= lossMs) peer.okSince = null;
    senders.get(ip)?.send(beat);
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
  for (const s of senders.values()) s.close();
  process.exit(0);
});
