// The whole control plane on one machine: product CA and control certificate, Temporal dev server, broker,
// control worker and API. Used by `edge-overlay dev` and by the lab; stops everything it started, in
// reverse order, on stop() or when a later step fails.
import { connectTemporalClient } from '../clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EnrollmentPki } from '../api/context.js';
import { type ApiServer, startApiServer } from '../api/server.js';
import { type Broker, startBroker } from '../broker/mosquitto.js';
import type { RenewedCertificate } from '../control/renewal.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import type { ControlMetrics } from '../metrics/control-metrics.js';
import { ProductCa } from '../pki/ca.js';
import { CA_CERT_FILE } from '../pki/ca-files.js';
import { Revocations } from '../pki/revocations.js';
import { type ControlWorker, startControlWorker } from '../worker.js';
import {
  advertisedBrokerUrl,
  advertisedHost,
  brokerServerNames,
  dialHost,
  mqttsUrl,
} from './broker-addresses.js';
import { loadOrIssueControlCert } from './control-identity.js';
import { RenewedCertificates } from './renewed-certificates.js';
import { brokerRevocations, createRevoker } from './revoker.js';
import { assertPortFree } from './process.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-server.js';

export interface ControlPlaneOptions {
  /** Where the API and the broker listen (Temporal and its UI always stay on loopback). */
  host: string;
  apiPort: number;
  temporalPort: number;
  uiPort: number;
  /** 0 (the default) picks a free port. */
  brokerPort?: number;
  /** HOST or HOST:PORT agents are told to dial at enrollment (a lab's control namespace address);
   * default the listen host, 127.0.0.1 for a wildcard. */
  brokerAdvertise?: string;
  dataDir: string;
  namespace: string;
  token: string;
  log: Logger;
  /** A pre-built workflow bundle (tests); otherwise the worker bundles from source. */
  workflowBundle?: WorkflowBundleOption;
  /** The worker's and the API's metrics (served by the caller: `dev`'s metrics port). */
  metrics?: { control: ControlMetrics; api: ApiMetrics };
}

export interface ControlPlane {
  temporal: TemporalDevServer;
  apiUrl: string;
  uiUrl: string | null;
  broker: Broker;
  /** What agents are told to dial (mqtts://HOST:PORT). */
  brokerUrl: string;
  /** The CA's directory (ca.crt, ca.key, control.crt/.key, revoked.json) and its certificate file. */
  pkiDir: string;
  caCertPath: string;
  caPem: string;
  worker: ControlWorker;
  /** Settles if the control worker stops on its own (a crash): the caller should stop everything. */
  workerDone: Promise<void>;
  stop(): Promise<void>;
}

export const PKI_DIR = 'pki';
export const BROKER_DIR = 'broker';
/** Temporal and its Web UI never leave this machine's loopback (DESIGN.md, issue 12 point 6). */
const TEMPORAL_IP = '127.0.0.1';

/** A stop step that takes longer than this is logged and left behind: the next part still stops
 * (each part bounds its own stop; this guards against one that hangs, e.g. a connection close). */
const STOP_STEP_LIMIT_MS = 15_000;

/** Runs stop functions in reverse order of registration, each once, errors and slow steps logged. */
function stopStack(log: Logger) {
  const steps: Array<{ what: string; fn: () => Promise<void> }> = [];
  let stopping: Promise<void> | null = null;
  return {
    push: (what: string, fn: () => Promise<void>) => void steps.push({ what, fn }),
    stop: () => {
      stopping ??= (async () => {
        for (const { what, fn } of steps.reverse()) await boundedStep(what, fn, log);
      })();
      return stopping;
    },
  };
}

async function boundedStep(what: string, fn: () => Promise<void>, log: Logger): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_STEP_LIMIT_MS);
  });
  try {
    const outcome = await Promise.race([fn().then(() => 'done' as const), limit]);
    if (outcome === 'late')
      log.warn({ step: what, ms: STOP_STEP_LIMIT_MS }, 'stop step did not finish; going on');
    else if (Date.now() - started > 2000)
      log.warn({ step: what, ms: Date.now() - started }, 'slow stop step');
  } catch (err) {
    log.error({ err, step: what }, 'stop failed');
  } finally {
    clearTimeout(timer);
  }
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { log } = opts;
  const stack = stopStack(log);
  try {
    // 0. a bad advertised address or a taken port fails here, before anything is made or started (a
    // readiness probe would meet the other listener and pass; a second dev would join the first's Temporal)
    advertisedBrokerUrl(opts.host, 1, opts.brokerAdvertise);
    for (const [what, host, port] of [
      ['API', opts.host, opts.apiPort],
      ['broker', opts.host, opts.brokerPort ?? 0],
      ['Temporal', TEMPORAL_IP, opts.temporalPort],
      ['Temporal Web UI', TEMPORAL_IP, opts.uiPort],
    ] as const) {
      if (port) await assertPortFree(what, host, port);
    }

    // 1. the data dir holds the admin token and the key folders: owner only when we make it. One given
    // that exists is left as it is (it might be /tmp or a home dir); its pki/ and broker/ are 0700 anyway.
    const made = await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    if (made !== undefined) await chmod(opts.dataDir, 0o700);
    else if ((await stat(opts.dataDir)).mode & 0o077) {
      log.warn({ dataDir: opts.dataDir }, 'the data dir is open to other users; its key folders are not');
    }
    // 2-4. CA, revocation list, control identity (made on first start, reused after)
    const pkiDir = join(opts.dataDir, PKI_DIR);
    const ca = await ProductCa.loadOrCreate(pkiDir);
    const revocations = await Revocations.open(pkiDir);
    const renewed = await RenewedCertificates.open(pkiDir);
    const control = await loadOrIssueControlCert(pkiDir, ca, { revoked: (s) => revocations.has(s) });
    log.info(
      { serial: control.serial, notAfter: control.notAfter.toISOString(), issued: control.issued },
      control.issued ? `control certificate issued (${control.reason})` : 'control certificate reused',
    );

    // 5. Temporal
    log.info({ port: opts.temporalPort }, 'starting Temporal dev server');
    const temporal = await startTemporalDevServer({
      ip: TEMPORAL_IP,
      port: opts.temporalPort,
      uiPort: opts.uiPort,
      dbFile: join(opts.dataDir, 'temporal.db'),
      log,
    });
    stack.push('temporal', () => temporal.stop());

    // 6. broker
    const broker = await startBroker({
      dir: join(opts.dataDir, BROKER_DIR),
      host: opts.host,
      port: opts.brokerPort ?? 0,
      ca,
      serverNames: brokerServerNames([opts.host, advertisedHost(opts.brokerAdvertise)]),
      persistence: true,
      revoked: brokerRevocations(revocations.list()),
      log,
    });
    stack.push('broker', () => broker.stop());
    const agentBrokerUrl = advertisedBrokerUrl(opts.host, broker.port, opts.brokerAdvertise);

    // 7. control worker, the only Temporal worker, talking to the hosts over the broker
    const onCertificateRenewed = async (r: RenewedCertificate) => {
      // No workflow message records a renewed serial; renewed.json keeps it so a deletion revokes it too.
      await renewed.add({ serial: r.serial, identity: r.hostId, notAfter: r.notAfter });
      log.info({ hostId: r.hostId, serial: r.serial }, 'renewed certificate recorded for revocation');
    };
    const worker: ControlWorker = await startControlWorker({
      address: temporal.address,
      namespace: opts.namespace,
      log,
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
      broker: {
        url: mqttsUrl(dialHost(opts.host), broker.port),
        caPem: ca.certPem,
        certPem: control.certPem,
        keyPem: control.keyPem,
      },
      ca,
      onCertificateRenewed,
      ...(opts.metrics ? { metrics: opts.metrics.control } : {}),
    });
    stack.push('control worker', () => worker.stop());
    // The end-to-end check of the broker wiring (certificates, CA, port): the worker's MQTT session.
    if (!worker.relay?.stats().connected) {
      throw new Error(`the control worker could not connect to the broker at ${broker.url}; see the log`);
    }

    // 8. API
    const connection = await connectTemporalClient({ address: temporal.address });
    stack.push('API Temporal connection', () => connection.close());
    const client = new Client({ connection, namespace: opts.namespace });
    const pki: EnrollmentPki = {
      ca,
      brokerUrl: agentBrokerUrl,
      revoke: createRevoker({ ca, revocations, renewed, broker, log }),
    };
    const api: ApiServer = await startApiServer(
      {
        client,
        log,
        token: opts.token,
        uiBaseUrl: temporal.uiUrl,
        namespace: opts.namespace,
        pki,
        // The control worker's own MQTT session (control identity, mTLS): an MQTT-level answer that costs
        // nothing per request; a bare TCP probe would also make mosquitto log a TLS error every time.
        brokerHealthy: async () => worker.relay?.stats().connected ?? false,
        ...(opts.metrics ? { metrics: opts.metrics.api } : {}),
      },
      opts.host,
      opts.apiPort,
    );
    stack.push('API', () => api.close());
    return {
      temporal,
      apiUrl: api.url,
      uiUrl: temporal.uiUrl,
      broker,
      brokerUrl: agentBrokerUrl,
      pkiDir,
      caCertPath: join(pkiDir, CA_CERT_FILE),
      caPem: ca.certPem,
      worker,
      workerDone: worker.done,
      stop: stack.stop,
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
