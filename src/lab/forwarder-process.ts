// The lab's control forwarder, a process of its own (started by control-forwarder.ts): it accepts on the
// control address INSIDE the control namespace and pipes each connection to a port on the root loopback,
// all in one event loop.
//
// Why not socat (what the lab used before): `socat TCP-LISTEN:…,fork` in the control namespace and
// `socat UNIX-LISTEN:…,fork` on the root side fork a process per connection, one connection at a time. When
// every host renumbers at once, 20 agents reconnect to the broker together; on this 2-core machine, busy
// with the renumbering, each fork took 50-300 ms, so the root side accepted the 10th connection ~1 s after
// it arrived (traced with strace on both socats and on mosquitto: mosquitto answered every ClientHello within
// ~1 ms of reading it, the agents answered its ServerHello within ~10 ms, the forks in between took the
// rest). The agents' broker sessions came back 1.0-1.5 s after the last lease, all together, and every
// report of the renumbering waited for that. A site's network carries those connections in the kernel; the
// lab's stand-in should not add a second of its own.
//
// How the listening socket gets into the control namespace: a socket belongs to the namespace it was made
// in, whatever process holds it. A short-lived helper (`ip netns exec <ctl> node -e …`) makes it there and
// hands it over through the IPC channel, then exits; this process (root namespace) accepts on it and
// connects to the root loopback. Stopping this process (by PID) closes the listener and every connection:
// new connections are refused and live ones end, the lab's "control plane unreachable".
//
// Env: CTL_NS, LISTEN_HOST, LISTEN_PORT, TARGET_HOST, TARGET_PORT. Says 'ready' (or {error}) on its own IPC
// channel once it accepts.
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { requiredEnv as required } from './required-env.js';

/** Runs in the control namespace: listen, send the server handle to the parent, close our copy, exit. */
const LISTEN_HELPER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const server = net.createServer();
server.on('error', (err) => { process.send({ error: err.message }, () => process.disconnect()); });
server.listen({ host, port: Number(port) }, () =>
  process.send('listening', server, () => { server.close(); process.disconnect(); }));
`;

/** A server listening on host:port inside namespace `ns`, held by this process. */
function listenInNetns(ns: string, host: string, port: number): Promise<Server> {
  const helper = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '-e', LISTEN_HELPER, host, String(port)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    helper.once('message', (m, handle) => {
      if (m === 'listening' && handle) resolve(handle as Server);
      else reject(new Error(`listening on ${host}:${port} in ${ns}: ${JSON.stringify(m)}`));
    });
    helper.once('error', reject);
    helper.once('exit', (code) => reject(new Error(`the listen helper in ${ns} exited (${code})`)));
  });
}

/** Both directions piped, each ending on its own (a half-close goes through); an error or a close on either
 * side ends the other. */
function join(inbound: Socket, targetHost: string, targetPort: number): void {
  const outbound = connect({ host: targetHost, port: targetPort, noDelay: true, allowHalfOpen: true });
  inbound.setNoDelay(true);
  inbound.pipe(outbound);
  outbound.pipe(inbound);
  // `on`, not `once`: an 'error' without a listener would end the forwarder and every connection with it
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
  inbound.once('close', () => outbound.end());
  outbound.once('close', () => inbound.end());
}

async function main(): Promise<void> {
  const ns = required('CTL_NS');
  const listenHost = required('LISTEN_HOST');
  const listenPort = Number(required('LISTEN_PORT'));
  const targetHost = process.env['TARGET_HOST'] || '127.0.0.1';
  const targetPort = Number(required('TARGET_PORT'));
  const held = await listenInNetns(ns, listenHost, listenPort);
  // accepts on the handed-over socket, with half-open connections allowed (the handed-over Server has not)
  const server = createServer({ allowHalfOpen: true }, (s: Socket) => join(s, targetHost, targetPort));
  await new Promise<void>((resolve) => server.listen(held, resolve));
  server.on('error', (err) => {
    process.stderr.write(`forwarder: ${err.message}\n`);
    process.exit(1);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  process.send?.('ready');
  process.disconnect?.();
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`forwarder: ${message}\n`);
  if (process.send) process.send({ error: message }, () => process.exit(1));
  else process.exit(1);
});
