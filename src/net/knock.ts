// Reachability without a process: a TCP SYN to a port of the target. The target's kernel answers it, with a
// RST when nothing listens there (ECONNREFUSED here) or a SYN-ACK when something does; either way the packet
// went there and an answer came back, which is what an ICMP echo shows. probePeers knocks first and pings
// only the targets that gave no such answer (a host firewall that drops the SYN, a peer that is down).
// Why. A verify round after a site-wide renumbering probes every peer from every host at once. Even from one
// `sh` (ping-many.ts) that is a fork and an exec per peer: at 20 hosts 380 pings within a second, on hosts
// the renumbering already keeps busy. Measured in the 20-host lab (test/e2e/convergence.test.ts): the
// cluster recorded OverlayReconciled 1.25-1.82 s after the overlay was back with those pings, 0.47-0.92 s
// with knocks.
// The port knocked at is KNOCK_PORT (domain/constants.ts); if something does listen there, its SYN-ACK is
// an answer as good as a RST (the connection is reset at once).
import { connect } from 'node:net';
import { ipv4 } from './check.js';

/** true when `target` answered a SYN to `port` (RST or SYN-ACK) within `timeoutMs`. Only a refusal or an
 * accepted connection count: an unreachable host or network (no route, no ARP answer, an ICMP "prohibited")
 * and silence do not. */
export function knock(target: string, port: number, timeoutMs: number): Promise<boolean> {
  const host = ipv4(target); // an address: no name lookup, nothing but the one SYN
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (answered: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answered);
    };
    // Silence: closing the socket ends the connect (no SYN is sent again).
    const timer = setTimeout(() => {
      socket.destroy();
      done(false);
    }, timeoutMs);
    socket.once('connect', () => {
      // A RST rather than a FIN: nothing lingers in TIME_WAIT here, nothing half-open there.
      socket.resetAndDestroy();
      done(true);
    });
    // Every error ends the attempt (the socket is destroyed by then); only a refusal is an answer.
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
}

/** Sockets open at once: a 1000-host cluster's probe stays far below a service's default 1024 descriptors. */
export const KNOCK_PARALLEL = 128;

/** Every target knocked, KNOCK_PARALLEL at a time; one answer per target, in the targets' order. */
export async function knockAll(
  targets: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<boolean[]> {
  const answers: boolean[] = [];
  for (let i = 0; i < targets.length; i += KNOCK_PARALLEL) {
    const batch = targets.slice(i, i + KNOCK_PARALLEL);
    answers.push(...(await Promise.all(batch.map((t) => knock(t, port, timeoutMs)))));
  }
  return answers;
}
