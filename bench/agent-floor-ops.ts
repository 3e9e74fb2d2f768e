// The child of bench:agent-floor (run with the agent's own node flags, as an edge host runs the agent):
// the CPU of each thing the site VIP election cannot do without, measured one at a time and at the rate
// the election runs it (10-100 a second, so every wake-up is paid for, nothing is batched). Prints one
// JSON object of microseconds per operation on stdout. Root: the renewal runs in a namespace of its own
// (a bridge of its own, no traffic), deleted at the end.
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { signBytes, verifyBytes } from '../src/agent/beacon/keys.js';
import { VipLease } from '../src/agent/vip/kernel-lease.js';
import { processRunner } from '../src/net/index.js';
import { childrenOf } from './agent-measure.js';

/** An advert on the wire is ~300 bytes (JSON payload and a 64-byte signature). */
const PAYLOAD = randomBytes(300);

const ownCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU (µs) of the running children of this process (the ip -batch child): schedstat's time on a CPU, in
 * ns (stat's utime/stime come in 10 ms ticks, too coarse for a few dozen renewals). */
function childrenCpuUs(): number {
  return childrenOf(process.pid).reduce(
    (sum, pid) => sum + Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000,
    0,
  );
}

/** µs of CPU per call of a synchronous operation (many calls back to back: its own cost only). */
function perCall(n: number, op: () => void): number {
  for (let i = 0; i < 50; i++) op();
  const t0 = ownCpuUs();
  for (let i = 0; i < n; i++) op();
  return (ownCpuUs() - t0) / n;
}

/** µs of CPU per wake-up of a timer every `everyMs`, running `onWake` in it, over `seconds`. */
async function perWake(everyMs: number, seconds: number, onWake: () => void): Promise<number> {
  for (let i = 0; i < 5; i++) onWake(); // node loads some of its own modules on first use (dgram's lookup)
  await sleep(everyMs);
  const n = Math.round((seconds * 1000) / everyMs);
  const t0 = ownCpuUs();
  await new Promise<void>((resolve) => {
    let left = n;
    const tick = () => {
      onWake();
      if (--left === 0) resolve();
      else setTimeout(tick, everyMs);
    };
    setTimeout(tick, everyMs);
  });
  return (ownCpuUs() - t0) / n;
}

/** Another process, as a peer: `code` is run by node -e; resolves once it printed its first line. */
async function peer(code: string): Promise<{ line: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { line, stop: () => child.kill() };
}

/** µs of CPU per datagram sent every `everyMs` to a peer listening on loopback (its wake-up excluded). On
 * one kernel the sender also pays for waking the receiving process (an IPI to the other core, costly in
 * this VM), as each lab host does for its peers: hosts on a real network pay only their own. */
async function perSend(socket: Socket, everyMs: number, seconds: number, wakeUs: number): Promise<number> {
  const sink = await peer(
    "const s=require('node:dgram').createSocket('udp4');s.on('message',()=>{});" +
      "s.bind(0,'127.0.0.1',()=>console.log(s.address().port));",
  );
  try {
    const port = Number(sink.line);
    return (await perWake(everyMs, seconds, () => socket.send(PAYLOAD, port, '127.0.0.1'))) - wakeUs;
  } finally {
    sink.stop();
  }
}

/** µs of CPU per datagram received (its wake-up included), sent by a peer every `everyMs`. */
async function perReceive(everyMs: number, seconds: number): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const { port } = socket.address();
  let received = 0;
  socket.on('message', () => {
    received += 1;
  });
  const sender = await peer(
    `const s=require('node:dgram').createSocket('udp4');const b=Buffer.alloc(${PAYLOAD.length});` +
      `console.log('up');setInterval(()=>s.send(b,${port},'127.0.0.1'),${everyMs});`,
  );
  try {
    await sleep(500);
    const [t0, n0] = [ownCpuUs(), received];
    await sleep(seconds * 1000);
    const [t1, n1] = [ownCpuUs(), received];
    if (n1 - n0 < (seconds * 1000) / everyMs / 2) throw new Error(`only ${n1 - n0} datagrams arrived`);
    return (t1 - t0) / (n1 - n0);
  } finally {
    sender.stop();
    socket.close();
  }
}

/** µs of CPU per lease renewal every 200 ms (the agent's and its ip -batch child's), in a namespace. */
async function perRenewal(seconds: number): Promise<number> {
  const ns = `eo-floor-${process.pid}`;
  await processRunner.run('ip', ['netns', 'add', ns]);
  try {
    await processRunner.run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
    await processRunner.run('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
    const lease = new VipLease({ vip: '10.255.0.1', dev: 'br0', netns: ns, lifetimeS: 1 });
    try {
      await lease.claim({ announce: false });
      await lease.renew(); // the ip -batch child is up and warm
      const n = Math.round((seconds * 1000) / 200);
      const t0 = ownCpuUs() + childrenCpuUs();
      for (let i = 0; i < n; i++) {
        await sleep(200);
        if ((await lease.renew()) !== 'renewed') throw new Error('a renewal lapsed');
      }
      const total = ownCpuUs() + childrenCpuUs() - t0;
      await lease.release();
      return total / n; // the caller takes the timer's own wake-up (wakeUs) out
    } finally {
      await lease.close();
    }
  } finally {
    await processRunner.run('ip', ['netns', 'del', ns]);
  }
}

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signature = signBytes(PAYLOAD, privateKey);
const macKey = randomBytes(32);
const sendSocket = createSocket('udp4');
await new Promise<void>((r) => sendSocket.bind(0, '127.0.0.1', r));

await perWake(100, 2, () => undefined); // warm-up: the first wake-ups of a new process cost more
const wakeUs = await perWake(100, 5, () => undefined);
const result = {
  ed25519SignUs: perCall(1000, () => signBytes(PAYLOAD, privateKey)),
  ed25519VerifyUs: perCall(1000, () => {
    if (!verifyBytes(PAYLOAD, signature, publicKey)) throw new Error('bad signature');
  }),
  hmacSha256Us: perCall(5000, () => createHmac('sha256', macKey).update(PAYLOAD).digest()),
  wakeUs,
  sendUs: await perSend(sendSocket, 100, 5, wakeUs),
  receiveUs: await perReceive(100, 5),
  renewUs: (await perRenewal(10)) - wakeUs,
};
sendSocket.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
