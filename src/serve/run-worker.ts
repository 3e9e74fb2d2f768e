// `edge-overlay worker`: the production control worker (one container). The only Temporal worker; it talks
// to the hosts over the broker with the control certificate from the shared PKI directory and answers
// their certificate renewals with the product CA. Temporal may be remote, over TLS (env, see
// src/clients/temporal/connection.ts).
import { connectTemporalClient } from '../clients/temporal/closed-channel-guard.js';
import type { Logger } from 'pino';
import { temporalConnectOptions } from '../clients/temporal/connection.js';
import type { WorkerConfig } from '../config/serve.js';
import type { RenewedCertificate } from '../control/renewal.js';
import type { ControlMetrics } from '../metrics/control-metrics.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { type ControlWorker, startControlWorker } from '../worker.js';
import { openWorkerPki } from './pki-dir.js';

export async function runWorker(
  config: WorkerConfig,
  log: Logger,
  metrics?: ControlMetrics,
): Promise<ControlWorker> {
  // TLS settings are read (and refused when inconsistent) before anything else happens
  const temporal = temporalConnectOptions(config.temporal, process.env);
  const pki = await openWorkerPki(config.pkiDir, log);

  const connection = await connectTemporalClient(temporal);
  try {
    const added = await ensureSearchAttributes(connection, config.namespace);
    if (added.length) log.info({ added }, 'registered search attributes');
  } finally {
    await connection.close();
  }

  const onCertificateRenewed = async (r: RenewedCertificate) => {
    // No workflow message records a renewed serial; renewed.json keeps it so the API's deletion revokes it.
    await pki.renewed.add({ serial: r.serial, identity: r.hostId, notAfter: r.notAfter });
    log.info({ hostId: r.hostId, serial: r.serial }, 'renewed certificate recorded for revocation');
  };
  const { address, ...temporalTls } = temporal;
  const worker = await startControlWorker({
    address,
    temporalTls,
    namespace: config.namespace,
    log,
    broker: {
      url: config.brokerUrl,
      caPem: pki.ca.certPem,
      certPem: pki.control.certPem,
      keyPem: pki.control.keyPem,
    },
    ca: pki.ca,
    onCertificateRenewed,
    ...(metrics ? { metrics } : {}),
  });
  // Unlike `dev`, the broker is another container that may come up later: the relay keeps reconnecting
  // (host commands fail fast as retryable meanwhile), so a missing broker is a warning, not an exit.
  if (!worker.relay?.stats().connected) {
    log.warn({ broker: config.brokerUrl }, 'the broker does not answer yet; the host relay keeps trying');
  }
  return worker;
}
