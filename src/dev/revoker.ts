// Revocation as the API's DELETE /v1/hosts/:id and re-enrollment need it: persist the serial (with the
// identity it was issued to), then make the broker refuse it and drop its live connection.
import type { Logger } from 'pino';
import type { Broker, RevocationInput } from '../broker/mosquitto.js';
import type { ProductCa } from '../pki/ca.js';
import type { Revocations, RevokedCert } from '../pki/revocations.js';
import type { RenewedCertificates } from './renewed-certificates.js';

/** Stored when nobody knows whom a serial was issued to: the CRL still refuses it (new connections),
 * but no live connection can be dropped. Not a valid identity, so the broker never kicks it. */
export const UNKNOWN_IDENTITY = '(unknown)';

/** The revocation list as the broker takes it: identities where known, bare serials otherwise. */
export const brokerRevocations = (list: readonly RevokedCert[]): RevocationInput[] =>
  list.map((e) => (e.identity === UNKNOWN_IDENTITY ? e.serial : { serial: e.serial, identity: e.identity }));

export interface RevokerDeps {
  ca: Pick<ProductCa, 'identityOf'>;
  revocations: Revocations;
  renewed: RenewedCertificates;
  broker: Pick<Broker, 'reloadRevocations'>;
  log: Logger;
}

/**
 * `revoke(serial, identity?)`: the identity comes from the caller when it knows it (the host id), else
 * from what this process issued, else from the renewal list. With the identity known, the host's renewed
 * certificates go too: the serial a route hands over is the one recorded at enrollment, and a renewal
 * issued since would otherwise keep working. Resolves once the broker applied it.
 */
export function createRevoker(deps: RevokerDeps) {
  return async (serial: string, identity?: string): Promise<void> => {
    const who = identity ?? deps.ca.identityOf(serial) ?? deps.renewed.identityOf(serial);
    if (!who) {
      deps.log.warn(
        { serial },
        'revoking a certificate of unknown identity: refused from now on, a live connection stays',
      );
    }
    const serials = [...new Set([serial.toLowerCase(), ...(who ? deps.renewed.of(who) : [])])];
    for (const s of serials) await deps.revocations.revoke(s, who ?? UNKNOWN_IDENTITY);
    await deps.broker.reloadRevocations(brokerRevocations(deps.revocations.list()));
    deps.log.info({ serials, identity: who ?? null }, 'certificates revoked');
  };
}
