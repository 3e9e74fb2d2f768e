// The control worker's only way to put a message on the broker: QoS 1, JSON, and an answer (the PUBACK)
// within a bounded time. A broker that is down or slow turns into a RETRYABLE ApplicationFailure quickly,
// so an activity attempt fails in seconds and Temporal retries it, instead of hanging until its timeout.
import { ApplicationFailure } from '@temporalio/common';
import type { MqttClient } from 'mqtt';

/** ApplicationFailure types raised by the relay itself (the host's own failures keep the host's type). */
export const RelayErrorType = {
  /** The control worker has no broker connection, or the broker did not acknowledge in time. */
  BrokerUnavailable: 'BrokerUnavailable',
  /** The broker has no session (no subscription) for the host: it never connected, or its session
   * expired. The command would be dropped, so the attempt fails now rather than at its timeout. */
  HostNotConnected: 'HostNotConnected',
  /** A setPeers reference could not be resolved now (the cluster's peerTableSource query failed). */
  PeerSourceUnavailable: 'PeerSourceUnavailable',
} as const;

/** MQTT 5 PUBACK reason "No matching subscribers": accepted, but delivered to nobody. */
const NO_MATCHING_SUBSCRIBERS = 16;

export interface PublishOutcome {
  /** The broker accepted the message but nobody (no session) subscribes to the topic. */
  noSubscribers: boolean;
}

export interface Publisher {
  publish(topic: string, message: unknown, opts?: { retain?: boolean }): Promise<PublishOutcome>;
}

export function brokerUnavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: RelayErrorType.BrokerUnavailable, message, nonRetryable: false });
}

export function createPublisher(mqtt: MqttClient, timeoutMs: number): Publisher {
  // MQTT.js hands the publish callback the stored PUBLISH, not the PUBACK, so the PUBACK's reason code
  // is read as the packet arrives (before the callback runs), by message id. Every PUBACK overwrites
  // its id's entry, so a reused id never reads an older publish's reason.
  const pubackReason = new Map<number, number>();
  mqtt.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined)
      pubackReason.set(packet.messageId, packet.reasonCode ?? 0);
  });
  return {
    async publish(topic, message, opts = {}) {
      if (!mqtt.connected) throw brokerUnavailable('the control worker is not connected to the broker');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(brokerUnavailable(`the broker did not acknowledge within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const payload = JSON.stringify(message);
        const ack = await Promise.race([
          mqtt.publishAsync(topic, payload, { qos: 1, retain: opts.retain ?? false }),
          timeout,
        ]);
        const messageId = ack?.messageId;
        const reasonCode = messageId === undefined ? undefined : pubackReason.get(messageId);
        if (messageId !== undefined) pubackReason.delete(messageId);
        return { noSubscribers: reasonCode === NO_MATCHING_SUBSCRIBERS };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw brokerUnavailable(`publish failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
