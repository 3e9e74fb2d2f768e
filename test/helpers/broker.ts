// A real mosquitto per test file: own CA, own temp dir, free loopback port; clients it opens are closed
// and the process stopped by PID in stop() (execa also kills it if the test process dies first).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startBroker, type Broker } from '../../src/broker/mosquitto.js';
import {
  connectBroker,
  type ConnectBrokerOptions,
  type MqttClient,
} from '../../src/clients/broker/connect.js';
import { ProductCa, type Pem } from '../../src/pki/ca.js';

export interface TestBroker {
  url: string;
  port: number;
  ca: ProductCa;
  caPem: string;
  dir: string;
  broker: Broker;
  /** A client certificate (Ed25519 unless told) for a host id or CONTROL_IDENTITY. */
  credentials(identity: string, opts?: { keyType?: 'ed25519' | 'p256' }): Promise<Pem & { serial: string }>;
  /** Connects (fresh credentials unless given) and resolves once CONNACK arrived; closed on stop(). */
  connect(identity: string, opts?: Partial<ConnectBrokerOptions>): Promise<MqttClient>;
  /** A client that is NOT awaited: for refusal tests; closed on stop(). */
  client(identity: string, opts?: Partial<ConnectBrokerOptions>): Promise<MqttClient>;
  /** Revokes a certificate issued by credentials(): refused (and a live connection dropped) within 5 s. */
  revoke(serial: string): Promise<void>;
  stop(): Promise<void>;
}

const quiet = pino({ level: process.env['BROKER_TEST_LOG'] ?? 'silent' });

export async function startTestBroker(): Promise<TestBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-overlay-broker-'));
  const ca = await ProductCa.create({ commonName: 'edge-overlay test CA', validDays: 1 });
  let broker: Broker;
  try {
    broker = await startBroker({ dir, port: 0, ca, log: quiet });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const clients = new Set<MqttClient>();
  const revoked: string[] = [];

  const client = async (identity: string, opts: Partial<ConnectBrokerOptions> = {}) => {
    const creds =
      opts.certPem && opts.keyPem ? undefined : await ca.issueClientCert(identity, { validDays: 1 });
    const c = connectBroker({
      url: broker.url,
      caPem: ca.certPem,
      clientId: identity,
      reconnectPeriodMs: 0,
      connectTimeoutMs: 5000,
      ...(creds ? { certPem: creds.certPem, keyPem: creds.keyPem } : {}),
      ...opts,
    } as ConnectBrokerOptions);
    // an 'error' without a listener would throw out of the emitter; tests listen for what they expect
    c.on('error', () => undefined);
    clients.add(c);
    return c;
  };

  return {
    url: broker.url,
    port: broker.port,
    ca,
    caPem: ca.certPem,
    dir,
    broker,
    credentials: (identity, opts) => ca.issueClientCert(identity, { validDays: 1, ...opts }),
    client,
    async connect(identity, opts) {
      const c = await client(identity, opts);
      await new Promise<void>((resolve, reject) => {
        const settle = (err?: Error) => {
          c.off('connect', onConnect).off('error', settle).off('close', onClose);
          if (!err) return resolve();
          c.end(true);
          reject(err);
        };
        const onConnect = () => settle();
        const onClose = () => settle(new Error(`connection of ${identity} closed before CONNACK`));
        c.on('connect', onConnect).on('error', settle).on('close', onClose);
      });
      return c;
    },
    async revoke(serial) {
      revoked.push(serial);
      await broker.reloadRevocations([...revoked]);
    },
    async stop() {
      await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
      clients.clear();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
