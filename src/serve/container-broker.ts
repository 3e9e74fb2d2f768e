// The broker of a production control plane runs in its own container (docker-compose.yml): this process
// writes its directory (config, ACL, CA, server certificate, CRL) into the volume the broker mounts, and
// revokes by rewriting the CRL there. It cannot signal the broker: the `broker-reloader` sidecar, in the
// broker's PID namespace, sends SIGHUP when crl.pem changes (polling once a second).
//
// A live connection must be dropped only AFTER the broker re-read the CRL, or the host reconnects at once
// with the certificate just revoked. The sidecar says nothing, so every CRL written here also lists a
// canary: a certificate issued for the purpose (its own throwaway identity, minutes long, in memory only).
// Once the canary is refused at the handshake ("certificate revoked"), the new CRL is in force and the
// revoked identities' connections are dropped (dropLiveConnection: a session takeover).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { writeBrokerFiles } from '../broker/files.js';
import type { RevocationInput } from '../broker/mosquitto.js';
import { dropLiveConnection } from '../broker/revocation.js';
import { connectBroker } from '../clients/broker/connect.js';
import { brokerUrlParts } from '../config/broker-url.js';
import { brokerServerNames } from '../dev/broker-addresses.js';
import type { ProductCa } from '../pki/ca.js';
import { writeCrlFile } from '../pki/revocations.js';
import { brokerProbe } from './broker-probe.js';

export interface ContainerBrokerOptions {
  /** Where this process writes the broker's files. */
  configDir: string;
  /** The same directory and the session store as the broker process sees them (its mounts). */
  configPathIn: string;
  dataPathIn: string;
  /** The listener written into the config. */
  listen: { host: string; port: number };
  /** How this process reaches the broker (mqtts://HOST:PORT). */
  url: string;
  /** What agents dial; its host is named in the server certificate too. */
  advertise: string;
  ca: ProductCa;
  log: Logger;
  /** How long a revocation waits for the broker to reload its CRL (default 4 s: the sidecar polls 1/s). */
  reloadTimeoutMs?: number;
}

export interface ContainerBroker {
  /** Same contract as Broker.reloadRevocations (the WHOLE list each time); resolves once the broker
   * refuses the new serials and their live connections are gone, or after a warning when it cannot tell. */
  reloadRevocations(revoked: readonly RevocationInput[]): Promise<void>;
  /** TLS reachability, for /healthz. */
  healthy(): Promise<boolean>;
}

const CANARY_DAYS = 10 / (24 * 60);
const CANARY_RETRY_MS = 200;
const CANARY_CONNECT_TIMEOUT_MS = 2000;
const REVOKED_ALERT = 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED';

const normalize = (r: RevocationInput) =>
  typeof r === 'string'
    ? { serial: r.toLowerCase() }
    : { serial: r.serial.toLowerCase(), identity: r.identity };

type CanaryAnswer = 'accepted' | 'revoked' | 'unreachable';

function tryCanary(url: string, caPem: string, id: string, pem: { certPem: string; keyPem: string }) {
  const client = connectBroker({
    url,
    caPem,
    ...pem,
    clientId: id,
    clean: true,
    sessionExpiryS: 0,
    reconnectPeriodMs: 0,
    connectTimeoutMs: CANARY_CONNECT_TIMEOUT_MS,
  });
  return new Promise<CanaryAnswer>((resolve) => {
    const settle = (answer: CanaryAnswer) => {
      client.removeAllListeners('connect').removeAllListeners('close');
      client.on('error', () => undefined);
      client.end(true);
      resolve(answer);
    };
    client.once('connect', () => settle('accepted'));
    client.once('error', (err) =>
      settle((err as { code?: unknown }).code === REVOKED_ALERT ? 'revoked' : 'unreachable'),
    );
    client.once('close', () => settle('unreachable'));
  });
}

/** Writes the broker's directory (every start: a fresh server certificate, the CRL of `revoked`) and
 * returns the handle that revokes through it. */
export async function prepareContainerBroker(
  o: ContainerBrokerOptions,
  revoked: readonly RevocationInput[],
): Promise<ContainerBroker> {
  const { ca, log } = o;
  const initial = revoked.map(normalize);
  const { files } = await writeBrokerFiles({
    dir: o.configDir,
    pathsIn: o.configPathIn,
    ca,
    host: o.listen.host,
    port: o.listen.port,
    serverNames: brokerServerNames([brokerUrlParts(o.url).host, brokerUrlParts(o.advertise).host]),
    revokedSerials: initial.map((r) => r.serial),
    persistenceDir: o.dataPathIn,
    // The broker container starts as root; these files are 0600 and owned by this process's user, so the
    // broker must stay root to read them (at start and at every CRL reload).
    runAsRoot: true,
  });
  log.info({ configDir: o.configDir, listen: o.listen }, 'broker configuration written');
  let applied = new Set(initial.map((r) => r.serial));
  let chain: Promise<void> = Promise.resolve();

  const healthy = brokerProbe({ url: o.url, ca });

  /** 'reloaded' once the canary is refused; 'stale' at the deadline; 'down' when the broker is away (a
   * canary that merely failed to connect to a broker that still answers TLS is tried again). */
  const awaitReload = async (canaryId: string, canary: { certPem: string; keyPem: string }) => {
    const deadline = Date.now() + (o.reloadTimeoutMs ?? 4000);
    while (Date.now() < deadline) {
      const answer = await tryCanary(o.url, ca.certPem, canaryId, canary);
      if (answer === 'revoked') return 'reloaded' as const;
      if (answer === 'unreachable' && !(await healthy())) return 'down' as const;
      await new Promise((r) => setTimeout(r, CANARY_RETRY_MS));
    }
    return 'stale' as const;
  };

  const reload = async (list: readonly RevocationInput[]) => {
    const entries = list.map(normalize);
    const fresh = entries.filter((e) => !applied.has(e.serial));
    const canaryId = `crl-canary-${randomBytes(4).toString('hex')}`;
    const canary = await ca.issueClientCert(canaryId, { validDays: CANARY_DAYS });
    await writeCrlFile(files.crlfile, ca, [...entries.map((e) => e.serial), canary.serial]);
    applied = new Set(entries.map((e) => e.serial));
    const outcome = await awaitReload(canaryId, canary);
    if (outcome === 'down') {
      // nothing is connected to a broker that is away; it loads this CRL when it starts
      log.warn('broker not reachable: the revocation applies from the CRL when it starts');
      return;
    }
    if (outcome === 'stale') {
      log.warn(
        { crl: files.crlfile },
        'the broker did not reload its CRL in time (is broker-reloader running?): dropping live connections anyway',
      );
    }
    const identities = new Set<string>();
    for (const e of fresh) {
      const identity = e.identity ?? ca.identityOf(e.serial);
      if (identity) identities.add(identity);
      else log.warn({ serial: e.serial }, 'revoked serial of unknown identity: a live connection stays');
    }
    await Promise.all(
      [...identities].map((identity) => dropLiveConnection({ url: o.url, ca, identity, log })),
    );
    log.info({ revoked: entries.length, dropped: [...identities], outcome }, 'broker revocations reloaded');
  };

  return {
    reloadRevocations(list) {
      const run = chain.then(() => reload(list));
      chain = run.catch(() => undefined);
      return run;
    },
    healthy,
  };
}
