// The agent's MQTT session: client id = host id, a persistent session (commands queue while the host is
// away), and a Last Will that marks the host offline only after a will delay, so a reconnect after a
// renumbering (the broker's session takeover) never shows the host offline at all.
import type { MqttClient } from 'mqtt';
import { connectBroker } from '../../clients/broker/connect.js';
import {
  AGENT_KEEPALIVE_S,
  AGENT_SESSION_EXPIRY_S,
  AGENT_WILL_DELAY_S,
  type HostStatus,
  hostTopic,
} from '../../contract/host-channel.js';
import { disableMqttNumberCache } from './mqtt-number-cache.js';

/** What the channel needs of the host's identity; `certPem` is read again at every (re)connect. */
export interface ChannelIdentity {
  readonly hostId: string;
  readonly brokerUrl: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly privateKeyPem: string;
}

export interface SessionTiming {
  keepaliveS?: number;
  willDelayS?: number;
  sessionExpiryS?: number;
  reconnectPeriodMs?: number;
}

export const OFFLINE: HostStatus = { online: false };

export function openAgentSession(identity: ChannelIdentity, t: SessionTiming): MqttClient {
  disableMqttNumberCache();
  return connectBroker({
    url: identity.brokerUrl,
    caPem: identity.caPem,
    certPem: identity.certPem,
    keyPem: identity.privateKeyPem,
    clientId: identity.hostId,
    clean: false,
    sessionExpiryS: t.sessionExpiryS ?? AGENT_SESSION_EXPIRY_S,
    keepaliveS: t.keepaliveS ?? AGENT_KEEPALIVE_S,
    ...(t.reconnectPeriodMs !== undefined ? { reconnectPeriodMs: t.reconnectPeriodMs } : {}),
    will: {
      topic: hostTopic(identity.hostId, 'status'),
      payload: JSON.stringify(OFFLINE),
      qos: 1,
      retain: true,
      delayS: t.willDelayS ?? AGENT_WILL_DELAY_S,
    },
  });
}

/**
 * The next TLS handshake presents the identity's current certificate: MQTT.js hands the same options
 * object to its TLS stream builder on every (re)connect.
 */
export function presentCurrentCertificate(client: MqttClient, identity: ChannelIdentity): void {
  client.options.cert = identity.certPem;
  client.options.key = identity.privateKeyPem;
}

/**
 * Drops the current connection and connects again now, instead of waiting for the keepalive to find a
 * dead one (after an address change no packet of the old connection will ever be answered) or for the
 * reconnect timer. The stores are kept: QoS 1 messages not yet acknowledged (results, reports) are
 * sent again on the new connection (MQTT.js's reconnect() would otherwise start with empty stores).
 */
export function reconnectAtOnce(client: MqttClient): void {
  if (client.disconnecting) return; // stopping: never come back
  const stores = { incomingStore: client.incomingStore, outgoingStore: client.outgoingStore };
  const stream = client.stream as (typeof client.stream & { destroyed?: boolean }) | undefined;
  if (stream && !stream.destroyed) {
    // MQTT.js's own 'close' listener (registered first) arms its timer; reconnect() clears it again
    client.once('close', () => client.reconnect(stores));
    stream.destroy();
  } else {
    client.reconnect(stores);
  }
}
