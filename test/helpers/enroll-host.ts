// A host as an agent is to the API (dev or production): enrollment with its own key, then its broker
// session. Shared by the dev control-plane and the production serve tests.
import { expect } from 'vitest';
import { connectBroker, type MqttClient } from '../../src/clients/broker/connect.js';
import { createCsr, generateHostKey } from '../../src/pki/csr.js';

export type ApiCall = (method: string, path: string, body?: unknown, auth?: boolean) => Promise<Response>;

/** fetch against the API, with the admin bearer token unless `auth` is false. */
export const apiCaller =
  (apiUrl: string, token: string): ApiCall =>
  (method, path, body, auth = true) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

export interface Enrolled {
  hostId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
  broker: string;
}

/** Join token (admin), then enrollment with the host's own key, as an agent does it. */
export async function enroll(call: ApiCall, hostId: string): Promise<Enrolled> {
  const issued = await call('POST', '/v1/hosts/join-tokens', { hostId });
  expect(issued.status, await issued.clone().text()).toBe(201);
  const { token: joinToken } = (await issued.json()) as { token: string };
  const key = generateHostKey();
  const csr = await createCsr(hostId, key.privateKeyPem);
  const res = await call('POST', '/v1/hosts/enroll', { hostId, joinToken, csr }, false);
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { certificate: string; caCertificate: string; broker: string };
  return {
    hostId,
    keyPem: key.privateKeyPem,
    certPem: body.certificate,
    caPem: body.caCertificate,
    broker: body.broker,
  };
}

/** One attempt (no automatic reconnect) with what enrollment returned: the client once connected, or the
 * broker's refusal. The client goes into `opened` for the caller to close. */
export function connectAs(h: Enrolled, opened: MqttClient[]): Promise<MqttClient> {
  const client = connectBroker({
    url: h.broker,
    caPem: h.caPem,
    certPem: h.certPem,
    keyPem: h.keyPem,
    clientId: h.hostId,
    reconnectPeriodMs: 0,
    connectTimeoutMs: 3000,
  });
  opened.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before connecting')));
  });
}
