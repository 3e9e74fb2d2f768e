// Mosquitto as a managed child process: for `edge-overlay dev` and the test harness. Writes its config,
// ACL, server certificate and CRL into `dir` (files.ts), starts it, waits for the TLS port, stops it by PID.
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import type { Logger } from 'pino';
import { assertPortFree, execa, freePort, stopChild, waitFor } from '../dev/process.js';
import type { ProductCa } from '../pki/ca.js';
import { writeCrlFile } from '../pki/revocations.js';
import type { MosquittoConfOptions } from './config.js';
import { writeBrokerFiles } from './files.js';
import { dropLiveConnection } from './revocation.js';

export interface Broker {
  /** mqtts://HOST:PORT */
  url: string;
  host: string;
  port: number;
  pid: number;
  caPem: string;
  /**
   * Makes the broker refuse these certificates: new connections at once (CRL rewritten, SIGHUP), and the
   * live connection of every serial not revoked before is dropped (session takeover, revocation.ts).
   * Pass the WHOLE list each time. A bare serial is dropped live only if this broker's CA instance issued
   * it; pass `{ serial, identity }` (Revocations.list()) for certificates issued elsewhere.
   */
  reloadRevocations(revoked: readonly RevocationInput[]): Promise<void>;
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}

export type RevocationInput = string | { serial: string; identity?: string };

export interface StartBrokerOptions {
  dir: string;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  ca: ProductCa;
  /** Extra names/addresses in the server certificate (BROKER_SERVER_NAME, localhost, 127.0.0.1 always). */
  serverNames?: { dnsNames?: string[]; ips?: string[] };
  /** Keep sessions and queued messages in dir/data across broker restarts (dev); default false. */
  persistence?: boolean;
  /** Certificates already revoked when the broker starts. */
  revoked?: readonly RevocationInput[];
  log: Logger;
  binary?: string;
  startTimeoutMs?: number;
}

const STOP_GRACE_MS = 3000;
const RELOAD_TIMEOUT_MS = 3000;
const PORT_ATTEMPTS = 3;

const normalize = (r: RevocationInput) =>
  typeof r === 'string'
    ? { serial: r.toLowerCase() }
    : { serial: r.serial.toLowerCase(), identity: r.identity };

function tcpAccepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function startBroker(opts: StartBrokerOptions): Promise<Broker> {
  const { log } = opts;
  const host = opts.host ?? '127.0.0.1';
  const initial = (opts.revoked ?? []).map(normalize);
  const persistenceDir = opts.persistence ? join(opts.dir, 'data') : undefined;
  if (persistenceDir) await mkdir(persistenceDir, { recursive: true, mode: 0o700 });
  // A fixed port someone else holds: say so before spawning (mosquitto would only fail to bind).
  if (opts.port) await assertPortFree('broker', host, opts.port);

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = opts.port || (await freePort(host));
    const { confPath, files } = await writeBrokerFiles({
      ...opts,
      host,
      port,
      revokedSerials: initial.map((r) => r.serial),
      persistenceDir,
      runAsRoot: process.getuid?.() === 0,
    });
    const proc = spawnMosquitto(opts.binary ?? 'mosquitto', confPath, log);
    try {
      await waitFor(
        'mosquitto to accept TLS connections',
        async () => {
          if (proc.exited) throw new Error(`mosquitto exited: ${proc.recent.join(' | ')}`);
          // Only OUR process saying it runs (it logs this once its listeners are bound) makes the port
          // ours: another listener on it would accept the probe while our mosquitto fails to bind.
          return proc.running && tcpAccepts(host, port);
        },
        { timeoutMs: opts.startTimeoutMs ?? 10_000, intervalMs: 50 },
      );
    } catch (err) {
      await stopChild(proc.child, STOP_GRACE_MS);
      lastError = err as Error;
      // a free port picked by us can be taken before mosquitto binds it: try another
      if (opts.port === 0 && proc.recent.some((l) => /in use/i.test(l))) continue;
      throw err;
    }
    log.info({ host, port, pid: proc.child.pid }, 'broker started');
    return managedBroker({ ...opts, host, port, files, proc, applied: initial });
  }
  throw lastError ?? new Error('mosquitto did not start');
}

interface MosquittoProcess {
  child: ResultPromise;
  exited: boolean;
  /** Set on mosquitto's "mosquitto version X running", logged after every listener is bound. */
  running: boolean;
  recent: string[];
  /** Resolves on the next log line matching `re`, or false after `ms`. */
  nextLine(re: RegExp, ms: number): Promise<boolean>;
}

/** OpenSSL errors mosquitto logs for clients, not for itself: a client without a valid certificate (refused,
 * as it should be), and a connection that ended without a TLS close (an edge host that lost power or its
 * address, an agent killed, a lab forwarder stopped). Logged at debug, not as warnings. */
const ROUTINE_TLS_ENDS = /certificate verify failed|unexpected eof while reading/;

function spawnMosquitto(binary: string, confPath: string, log: Logger): MosquittoProcess {
  // execa's cleanup (SIGTERM through signal-exit) kills the child when this process exits or dies of a
  // signal, also after a failed test run: measured, it leaves at most a zombie for init to reap.
  const child = execa(binary, ['-c', confPath], {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cleanup: true,
  });
  const waiters = new Set<{ re: RegExp; resolve: (ok: boolean) => void }>();
  const proc: MosquittoProcess = {
    child,
    exited: false,
    running: false,
    recent: [],
    nextLine: (re, ms) =>
      new Promise((resolve) => {
        const w = {
          re,
          resolve: (ok: boolean) => {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => w.resolve(false), ms);
        waiters.add(w);
      }),
  };
  const onLine = (line: string) => {
    proc.recent = [...proc.recent.slice(-19), line];
    if (/^mosquitto version \S+ running/.test(line)) proc.running = true;
    (/^Error|error:/.test(line) && !ROUTINE_TLS_ENDS.test(line) ? log.warn : log.debug).call(
      log,
      { broker: line },
      'mosquitto',
    );
    for (const w of [...waiters]) if (w.re.test(line)) w.resolve(true);
  };
  for (const stream of [child.stdout, child.stderr])
    if (stream) createInterface({ input: stream }).on('line', onLine);
  void child.then(() => (proc.exited = true));
  return proc;
}

function managedBroker(
  o: StartBrokerOptions & {
    host: string;
    port: number;
    files: MosquittoConfOptions['files'];
    proc: MosquittoProcess;
    applied: { serial: string }[];
  },
): Broker {
  const { proc, ca, log } = o;
  const url = `mqtts://${o.host}:${o.port}`;
  let applied = new Set(o.applied.map((r) => r.serial));
  let chain: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | undefined;

  const reload = async (revoked: readonly RevocationInput[]) => {
    if (proc.exited) throw new Error('the broker is not running: revocations cannot be applied');
    const entries = revoked.map(normalize);
    const fresh = entries.filter((e) => !applied.has(e.serial));
    await writeCrlFile(
      o.files.crlfile,
      ca,
      entries.map((e) => e.serial),
    );
    const reloaded = proc.nextLine(/Reloading config/, RELOAD_TIMEOUT_MS);
    proc.child.kill('SIGHUP');
    if (!(await reloaded)) log.warn('mosquitto did not confirm the reload; the CRL may apply late');
    applied = new Set(entries.map((e) => e.serial));
    const identities = new Set<string>();
    for (const e of fresh) {
      const identity = e.identity ?? ca.identityOf(e.serial);
      if (identity) identities.add(identity);
      else
        log.warn(
          { serial: e.serial },
          'revoked serial of unknown identity: new connections refused, a live one stays',
        );
    }
    // One kick per identity, after the reload: the dropped client cannot reconnect with its old cert.
    await Promise.all([...identities].map((identity) => dropLiveConnection({ url, ca, identity, log })));
    log.info({ revoked: entries.length, dropped: [...identities] }, 'broker revocations reloaded');
  };

  return {
    url,
    host: o.host,
    port: o.port,
    pid: proc.child.pid!,
    caPem: ca.certPem,
    reloadRevocations(revoked) {
      const run = chain.then(() => reload(revoked));
      chain = run.catch(() => undefined);
      return run;
    },
    healthy: async () => !proc.exited && (await tcpAccepts(o.host, o.port)),
    stop() {
      stopped ??= stopChild(proc.child, STOP_GRACE_MS).then(() =>
        log.info({ pid: proc.child.pid }, 'broker stopped'),
      );
      return stopped;
    },
  };
}
