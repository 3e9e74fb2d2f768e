// Dropping the live connection of a revoked certificate, without restarting the broker.
//
// Measured on mosquitto 2.0.11 (this machine, see test/broker/revocation.test.ts):
// - SIGHUP re-reads `crlfile`: a NEW TLS connection with a revoked certificate fails at the handshake.
// - Nothing touches a connection that is already up (the CRL is only checked at the handshake).
// Decision: a session takeover. With `use_username_as_clientid true` the client id is always the
// certificate's CN, so the CA issues a short-lived certificate for the revoked identity, held only in
// memory, and connects with it (clean start, session expiry 0): the broker closes the old connection
// ("already connected, closing old connection", MQTT 5 reason 0x8E), the kicker disconnects and the
// host's session, with any commands queued in it, is gone. The revoked certificate cannot come back
// because the CRL was reloaded first.
// Rejected: the dynamic-security plugin (present as mosquitto_dynamic_security.so) can kick by username,
// but with certificate identities its authentication is bypassed, it would need every host mirrored into
// its JSON store and it replaces the ACL file. Taking sessions over by client id from the control
// identity would need `use_username_as_clientid false`, which lets any host take another host's session.
import type { Logger } from 'pino';
import { connectBroker } from '../clients/broker/connect.js';
import type { ProductCa } from '../pki/ca.js';

/** The kicker's certificate outlives its single use only by this much; it never leaves memory. */
const KICK_CERT_DAYS = 10 / (24 * 60);
const KICK_TIMEOUT_MS = 4000;

/** Connects as `identity` once and leaves at once, which closes any live connection of that identity and
 * discards its session. Resolves when done; a failure is logged and reported as false. */
export async function dropLiveConnection(o: {
  url: string;
  ca: ProductCa;
  identity: string;
  log: Logger;
}): Promise<boolean> {
  const creds = await o.ca.issueClientCert(o.identity, { validDays: KICK_CERT_DAYS });
  const client = connectBroker({
    url: o.url,
    caPem: o.ca.certPem,
    certPem: creds.certPem,
    keyPem: creds.keyPem,
    clientId: o.identity,
    clean: true,
    sessionExpiryS: 0,
    reconnectPeriodMs: 0,
    connectTimeoutMs: KICK_TIMEOUT_MS,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), KICK_TIMEOUT_MS);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    await client.endAsync();
    return true;
  } catch (err) {
    o.log.warn({ identity: o.identity, err: (err as Error).message }, 'could not drop the live connection');
    client.end(true);
    return false;
  }
}
