// Is the broker up, from a process that holds no MQTT session of its own (the production API)? A TLS
// handshake with a client certificate, closed before any MQTT CONNECT. Measured on mosquitto 2.0.11: it logs
// only "New connection" and "Client <unknown> closed its connection" (a bare TCP probe would log a TLS
// error each time). An MQTT connection is no option: the only identity the API could use is the control
// identity, and connecting under it would take the control worker's session over (client id = CN).
import { connect } from 'node:tls';
import { brokerTlsOptions } from '../clients/broker/connect.js';
import { brokerUrlParts } from '../config/broker-url.js';
import { CONTROL_IDENTITY } from '../contract/host-channel.js';
import type { Pem, ProductCa } from '../pki/ca.js';

const PROBE_TIMEOUT_MS = 2000;
/** The probe's certificate lives in memory only; reissued daily, valid two days. */
const PROBE_CERT_DAYS = 2;
const PROBE_CERT_REISSUE_MS = 24 * 3600 * 1000;

/** true once the handshake succeeded: the broker answers TLS with a certificate from our CA for its fixed
 * name (BROKER_SERVER_NAME), so it is ours and its TLS setup (CA, server key, CRL) loads. */
export function tlsHandshakeSucceeds(url: string, creds: Pem & { caPem: string }, timeoutMs: number) {
  const { host, port } = brokerUrlParts(url);
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, ...brokerTlsOptions(creds) });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => {
      // end (close_notify) rather than destroy: the broker sees a clean close, not a protocol error
      clearTimeout(timer);
      resolve(true);
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
    socket.on('error', () => done(false));
  });
}

/** A health check for ApiDeps.brokerHealthy. */
export function brokerProbe(o: { url: string; ca: ProductCa; timeoutMs?: number }): () => Promise<boolean> {
  let creds: { pem: Pem; at: number } | null = null;
  return async () => {
    if (creds === null || Date.now() - creds.at > PROBE_CERT_REISSUE_MS) {
      const pem = await o.ca.issueClientCert(CONTROL_IDENTITY, { validDays: PROBE_CERT_DAYS });
      creds = { pem, at: Date.now() };
    }
    return tlsHandshakeSucceeds(
      o.url,
      { ...creds.pem, caPem: o.ca.certPem },
      o.timeoutMs ?? PROBE_TIMEOUT_MS,
    );
  };
}
