// `edge-overlay api`: the production HTTP API (one container). It owns the product CA's revocation list and
// the broker's directory (written at start into the broker's config volume, CRL rewritten on every
// revocation), enrolls hosts, and reports Temporal and the broker on /healthz.
import { connectTemporalClient } from '../clients/temporal/closed-channel-guard.js';
import { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { EnrollmentPki } from '../api/context.js';
import { type ApiServer, startApiServer } from '../api/server.js';
import { temporalConnectOptions } from '../clients/temporal/connection.js';
import type { ApiConfig } from '../config/serve.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import { RenewedCertificates } from '../dev/renewed-certificates.js';
import { brokerRevocations, createRevoker } from '../dev/revoker.js';
import { prepareContainerBroker } from './container-broker.js';
import { openApiPki } from './pki-dir.js';

export interface RunningApi {
  api: ApiServer;
  close(): Promise<void>;
}

export async function runApi(
  config: ApiConfig,
  o: { token: string; uiBaseUrl: string | null; log: Logger; metrics?: ApiMetrics },
): Promise<RunningApi> {
  const { log } = o;
  const temporal = temporalConnectOptions(config.temporal, process.env);
  const { ca, revocations } = await openApiPki(config.pkiDir);
  // Written before Temporal is reached, so the broker container can start meanwhile.
  const broker = await prepareContainerBroker(
    {
      configDir: config.brokerConfigDir,
      configPathIn: config.brokerConfigPathIn,
      dataPathIn: config.brokerDataPathIn,
      listen: config.brokerListen,
      url: config.brokerUrl,
      advertise: config.brokerAdvertise,
      ca,
      log,
    },
    brokerRevocations(revocations.list()),
  );
  const pki: EnrollmentPki = {
    ca,
    brokerUrl: config.brokerAdvertise,
    // The worker records renewals in renewed.json: read it afresh so a deletion revokes those too.
    revoke: async (serial, identity) => {
      const renewed = await RenewedCertificates.open(config.pkiDir);
      await createRevoker({ ca, revocations, renewed, broker, log })(serial, identity);
    },
  };

  const connection = await connectTemporalClient(temporal);
  try {
    const client = new Client({ connection, namespace: config.namespace });
    const api = await startApiServer(
      {
        client,
        log,
        token: o.token,
        uiBaseUrl: o.uiBaseUrl,
        namespace: config.namespace,
        pki,
        brokerHealthy: broker.healthy,
        ...(o.metrics ? { metrics: o.metrics } : {}),
      },
      config.host,
      config.port,
    );
    log.info({ url: api.url, brokerAdvertise: config.brokerAdvertise }, 'API listening');
    return {
      api,
      async close() {
        await api.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
