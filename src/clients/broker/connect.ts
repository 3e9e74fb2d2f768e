// The only place that calls mqtt.connect: MQTT 5 over TLS with a client certificate, the broker verified
// against the product CA and its fixed name (BROKER_SERVER_NAME), whatever address reaches it.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { BROKER_SERVER_NAME } from '../../contract/host-channel.js';

export type { MqttClient } from 'mqtt';

export interface BrokerCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export function brokerTlsOptions(o: BrokerCredentials): {
  ca: string;
  cert: string;
  key: string;
  servername: string;
  rejectUnauthorized: true;
} {
  return {
    ca: o.caPem,
    cert: o.certPem,
    key: o.keyPem,
    servername: BROKER_SERVER_NAME,
    rejectUnauthorized: true,
  };
}

export interface BrokerWill {
  topic: string;
  payload: string | Buffer;
  qos?: 0 | 1;
  retain?: boolean;
  /** MQTT 5 will delay: a reconnect within this many seconds publishes nothing. */
  delayS?: number;
}

export interface ConnectBrokerOptions extends BrokerCredentials {
  /** mqtts://HOST:PORT */
  url: string;
  /** The broker replaces it with the certificate's CN (use_username_as_clientid); pass that. */
  clientId: string;
  /** false keeps the session (subscriptions, queued QoS 1 messages) across disconnects. */
  clean?: boolean;
  sessionExpiryS?: number;
  keepaliveS?: number;
  will?: BrokerWill;
  /** Mean reconnect delay; each wait is jittered ±25 % so hosts that lost the broker together do not come
   * back in lockstep (MQTT.js uses a fixed timer). 0 disables reconnecting. */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
}

const DEFAULT_KEEPALIVE_S = 30;
const DEFAULT_RECONNECT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const jitter = (ms: number) => Math.round(ms * (0.75 + Math.random() * 0.5));

export function connectBroker(o: ConnectBrokerOptions): MqttClient {
  const url = new URL(o.url);
  if (url.protocol !== 'mqtts:') throw new Error(`broker URL must be mqtts://HOST:PORT, got ${o.url}`);
  const reconnectMs = o.reconnectPeriodMs ?? DEFAULT_RECONNECT_MS;
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId,
    clean: o.clean ?? true,
    keepalive: o.keepaliveS ?? DEFAULT_KEEPALIVE_S,
    reconnectPeriod: reconnectMs > 0 ? jitter(reconnectMs) : 0,
    connectTimeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(o.sessionExpiryS !== undefined ? { properties: { sessionExpiryInterval: o.sessionExpiryS } } : {}),
    ...(o.will
      ? {
          will: {
            topic: o.will.topic,
            payload: typeof o.will.payload === 'string' ? Buffer.from(o.will.payload) : o.will.payload,
            qos: o.will.qos ?? 1,
            retain: o.will.retain ?? false,
            ...(o.will.delayS !== undefined ? { properties: { willDelayInterval: o.will.delayS } } : {}),
          },
        }
      : {}),
    ...brokerTlsOptions(o),
  };
  const client = mqtt.connect(o.url, options);
  // MQTT.js reads options.reconnectPeriod when it schedules each attempt: draw a new delay every time.
  if (reconnectMs > 0) client.on('close', () => (client.options.reconnectPeriod = jitter(reconnectMs)));
  return client;
}
