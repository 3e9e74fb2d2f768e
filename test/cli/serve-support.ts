// Pieces for running the production commands as docker-compose.yml runs them, without Docker: the CLI as a
// child process, Temporal behind a mutual-TLS front (a "remote Temporal"), mosquitto started from the
// directory the API wrote, and the compose file's own CRL reloader script pointed at that mosquitto.
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { createServer as tlsServer, type TLSSocket } from 'node:tls';
import { parse } from 'yaml';
import { stopChild, waitFor } from '../../src/dev/process.js';
import { ProductCa } from '../../src/pki/ca.js';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;

export interface CliProcess {
  child: ResultPromise;
  output(): string;
  /** Resolves once the output matches `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | undefined>;
}

export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = execa('node', [bin, ...args], {
    reject: false,
    all: true,
    extendEnv: false,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
  });
  let out = '';
  child.all?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return {
    child,
    output: () => out,
    waitFor: (re, timeoutMs = 90_000) =>
      waitFor(
        `${args[0]} output ${re}`,
        async () => {
          if (child.exitCode !== null)
            throw new Error(`${args[0]} exited ${child.exitCode}: ${out.slice(-2000)}`);
          return re.test(out);
        },
        { timeoutMs, intervalMs: 100 },
      ),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const res = await child;
      clearTimeout(timer);
      return res.exitCode;
    },
  };
}

/** A TLS front for a plain TCP service that requires a client certificate from `ca` (h2 for gRPC). */
export async function startMutualTlsFront(o: {
  target: { host: string; port: number };
  caPem: string;
  certPem: string;
  keyPem: string;
}) {
  const peers: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = tlsServer(
    {
      ca: o.caPem,
      cert: o.certPem,
      key: o.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (tls) => {
      sockets.add(tls);
      peers.push(String(tls.getPeerCertificate().subject?.CN ?? ''));
      const up = netConnect(o.target);
      const close = () => {
        tls.destroy();
        up.destroy();
        sockets.delete(tls);
      };
      tls.on('error', close).on('close', close);
      up.on('error', close).on('close', close);
      tls.pipe(up).pipe(tls);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    /** CN of every client that got through. */
    peers,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A "remote Temporal": `target` behind TLS that requires a client certificate (CN `clientCn`) from its
 * own CA; returns the front and the EDGE_OVERLAY_TEMPORAL_TLS_* environment (files in `dir`). */
export async function startRemoteTemporal(dir: string, target: string, clientCn: string) {
  const tlsCa = await ProductCa.create({ commonName: 'temporal test CA', validDays: 1 });
  const server = await tlsCa.issueServerCert({});
  const client = await tlsCa.issueClientCert(clientCn, { validDays: 1, keyType: 'p256' });
  const [host, port] = target.split(':');
  const front = await startMutualTlsFront({
    target: { host: host!, port: Number(port) },
    caPem: tlsCa.certPem,
    ...server,
  });
  const files = {
    ca: join(dir, 'temporal-ca.pem'),
    crt: join(dir, 'temporal.crt'),
    key: join(dir, 'temporal.key'),
  };
  await writeFile(files.ca, tlsCa.certPem);
  await writeFile(files.crt, client.certPem);
  await writeFile(files.key, client.keyPem, { mode: 0o600 });
  const env: Record<string, string> = {
    EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: files.ca,
    EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE: files.crt,
    EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE: files.key,
    EDGE_OVERLAY_TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  return { front, env };
}

/** mosquitto from a config the API wrote; ready once it says it runs (its own word, not the port's). */
export async function startMosquitto(confPath: string) {
  const child = execa('mosquitto', ['-c', confPath], { reject: false, all: true, cleanup: true });
  let out = '';
  child.all?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await waitFor(
    'mosquitto to run',
    async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
      return /mosquitto version \S+ running/.test(out);
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  return { child, pid: child.pid!, output: () => out, stop: () => stopChild(child, 3000) };
}

/** docker-compose.yml's broker-reloader script, run here: its config path is `configDir` and the broker
 * it signals is `pid` (PID 1 in the broker's PID namespace there). */
export function startComposeReloader(configDir: string, pid: number) {
  const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
    services: Record<string, { command: string[] }>;
  };
  const script = compose.services['broker-reloader']!.command.join(' ')
    .replaceAll('$$', '$')
    .replaceAll('/mosquitto/config', configDir)
    .replaceAll('kill -HUP 1', `kill -HUP ${pid}`);
  if (!script.includes(`kill -HUP ${pid}`)) throw new Error(`unexpected reloader script: ${script}`);
  const child = execa('sh', ['-c', script], { reject: false, cleanup: true });
  return { stop: () => stopChild(child, 1000) };
}
