// What a beacon costs to verify, and what a flood of forged beacons can make a host spend: a child process
// floods a real beacon socket on the loopback (from one source, then from 50), and the signature checks
// the receiver ran stay within its buckets while the real peer still gets through. Prints the numbers.
import { generateKeyPairSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Beacon,
  BeaconVerifier,
  DEFAULT_VERIFY_LIMITS,
  encodeBeacon,
  spkiBase64,
  startBeacon,
} from '../../../src/agent/beacon/index.js';
import { execa, freePort } from '../../../src/dev/process.js';

const b = generateKeyPairSync('ed25519');
const self = generateKeyPairSync('ed25519');

/** Floods 127.0.0.1:port with well-formed beacons for host b (a high epoch, so they pass the replay
 * check) carrying random signatures. */
const FLOODER = `
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
const [port, sources, ms] = process.argv.slice(1).map(Number);
const socks = await Promise.all(Array.from({ length: sources }, (_, i) => new Promise((r) => {
  const s = createSocket('udp4'); s.bind(0, '127.0.1.' + (i + 1), () => r(s)); })));
let sent = 0; let counter = 1; const end = Date.now() + ms;
const packet = (ip) => Buffer.concat([Buffer.from('EOB2'), randomBytes(64), Buffer.from(JSON.stringify({
  clusterName: 'flood', hostId: 'b', underlayIp: ip, overlayIp: '100.64.192.3', epoch: 2 ** 40, counter: counter++, seq: counter }))]);
while (Date.now() < end) {
  await Promise.all(socks.map((s, i) => new Promise((r) => s.send(packet('127.0.1.' + (i + 1)), port, '127.0.0.1', r))));
  sent += socks.length;
}
socks.forEach((s) => s.close());
console.log(sent);
`;

/** CPU time (not wall time: the machine is shared) per packet, in µs. */
function cpuMicros(n: number, fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/** µs of CPU per changed beacon (parse, checks, signature) and per beacon dropped before the signature. */
function measureVerify(type: 'ed25519' | 'p256', n: number): { verified: number; dropped: number } {
  const key = type === 'ed25519' ? b : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const roomy = { perSource: { burst: n, perSecond: n }, global: { burst: n, perSecond: n }, maxSources: 8 };
  const v = new BeaconVerifier({
    clusterName: 'm',
    selfHostId: 's',
    peerKeys: [['b', spkiBase64(key.privateKey)]],
    limits: roomy,
  });
  const msg = { clusterName: 'm', hostId: 'b', underlayIp: '10.0.0.1', overlayIp: '10.1.0.1', epoch: 1 };
  const packets = Array.from({ length: n }, (_, i) =>
    encodeBeacon({ ...msg, counter: i + 1, seq: i + 1 }, key.privateKey),
  );
  const verified = cpuMicros(n, () => {
    for (const p of packets) if (!v.verify(p, 0, '10.0.0.1').accepted) throw new Error('not accepted');
  });
  expect(v.verifications).toBe(n);
  // the same packets again are replays: everything but the signature
  const dropped = cpuMicros(n, () => {
    for (const p of packets) if (v.verify(p, 0, '10.0.0.1').accepted) throw new Error('accepted');
  });
  expect(v.verifications).toBe(n);
  return { verified, dropped };
}

describe('beacon verification cost and flood bound (loopback)', () => {
  let beacon: Beacon | undefined;
  afterEach(async () => {
    await beacon?.stop();
    beacon = undefined;
  });

  it('measures one verification (Ed25519, P-256), including parsing and the acceptance checks', () => {
    measureVerify('ed25519', 200); // warm-up
    const ed = measureVerify('ed25519', 2000);
    const p256 = measureVerify('p256', 2000);
    process.stdout.write(
      `[beacon] CPU per changed beacon: Ed25519 ${ed.verified.toFixed(0)} µs, P-256 ${p256.verified.toFixed(0)} µs; ` +
        `per beacon dropped before the signature: ${ed.dropped.toFixed(1)} µs\n`,
    );
    expect(ed.verified).toBeLessThan(5000);
    expect(p256.verified).toBeLessThan(5000);
    expect(ed.dropped).toBeLessThan(ed.verified);
  });

  for (const sources of [1, 50]) {
    it(`a flood from ${sources} source(s) costs at most the bucket of verifications`, async () => {
      const port = await freePort();
      const accepted: string[] = [];
      beacon = await startBeacon({
        clusterName: 'flood',
        hostId: 'self',
        overlayIp: '100.64.192.2',
        privateKey: self.privateKey,
        epoch: 1,
        peerKeys: [['b', spkiBase64(b.privateKey)]],
        iface: 'lo',
        port,
        intervalMs: 60_000,
        onBeacon: (msg) => accepted.push(msg.underlayIp),
      });
      const ms = 2000;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const flood = execa(process.execPath, [
        '--input-type=module',
        '-e',
        FLOODER,
        String(port),
        String(sources),
        String(ms),
      ]);
      // the real b, from its own address, beaconing every 100 ms during the flood (a full socket buffer
      // drops some of its packets like any other: it is UDP)
      const real = createSocket('udp4');
      await new Promise<void>((r) => real.bind(0, '127.0.0.3', () => r()));
      let counter = 0;
      const genuine = () =>
        encodeBeacon(
          {
            clusterName: 'flood',
            hostId: 'b',
            underlayIp: '127.0.0.3',
            overlayIp: '100.64.192.3',
            epoch: 9,
            counter: ++counter,
            seq: 9,
          },
          b.privateKey,
        );
      const realTimer = setInterval(() => real.send(genuine(), port, '127.0.0.1'), 100);
      const sent = Number((await flood).stdout.trim());
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(realTimer);
      real.close();
      await new Promise((r) => setTimeout(r, 100)); // the last packets in the socket buffer
      const s = beacon.stats();
      const received = Object.values(s.rejected).reduce((x, y) => x + y, 0) + s.accepted;
      const { perSource, global } = DEFAULT_VERIFY_LIMITS;
      const cap =
        sources === 1
          ? perSource.burst + perSource.perSecond * seconds + 1 // + the genuine beacon
          : global.burst + global.perSecond * seconds;
      process.stdout.write(
        `[beacon] flood from ${sources} source(s): ${sent} sent, ${received} received in ${seconds.toFixed(1)} s ` +
          `(${(received / seconds).toFixed(0)}/s); ${s.verifications} verifications (${(s.verifications / seconds).toFixed(1)}/s, cap ${cap.toFixed(0)}), ` +
          `${s.rejected['rate-limited'] ?? 0} rate-limited, ${s.rejected.replay ?? 0} old epoch; receiver process CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} %\n`,
      );
      expect(received).toBeGreaterThan(1000);
      expect(s.verifications).toBeLessThanOrEqual(cap);
      // everything else was dropped before a signature check: rate-limited, or (once the real b's newer
      // epoch was accepted) refused as an old epoch
      const cheap = (s.rejected['rate-limited'] ?? 0) + (s.rejected.replay ?? 0);
      expect(cheap).toBeGreaterThanOrEqual(received - s.verifications - s.accepted);
      // verified once, then accepted as repeats without another signature check
      if (sources === 1) expect(accepted[0]).toBe('127.0.0.3');
    }, 20_000);
  }
});
