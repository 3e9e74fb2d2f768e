// A QoS 1 publish that MQTT.js cannot silently drop. MQTT.js calls a publish's callback with an error only
// once it has given the message up; it never means "not acknowledged yet, kept for later". One such case is
// common for the agent: after a reconnect with a resumed session, MQTT.js first re-sends its stored QoS 1
// messages, one per round trip, and holds every publish made meanwhile in a side queue, NOT in its store.
// When that connection closes before the re-send is over (a second address change, a session takeover, a
// keepalive), it fails the held publishes with "Connection closed" and forgets them. A command's result lost
// that way is never asked for again (the command was acknowledged), so its activity waited out its
// start-to-close (setPeers: 30 s) while the overlay had long converged (issue 12 point 5).
// So a publish MQTT.js gave up is published again: offline it goes into the store and out on the next
// connect, in the order the first attempts were made. Duplicates are harmless: results complete a command
// once, reports carry a sequence.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface Qos1PublishOptions {
  retain: boolean;
  /** What the message is, for the log. */
  what: string;
  log: Logger;
  /** True once the channel is stopping: nothing is published again then. */
  stopping: () => boolean;
}

/** A pathological loop (the broker closing every connection mid re-send) ends here, logged. */
export const MAX_REPUBLISH = 50;

/** The broker answered with a reason code (not authorized, quota exceeded …): sending again changes nothing. */
const refusedByBroker = (err: Error): boolean => typeof (err as { code?: unknown }).code === 'number';

export function publishQos1(
  client: MqttClient,
  topic: string,
  payload: string,
  o: Qos1PublishOptions,
  republished = 0,
): void {
  client.publish(topic, payload, { qos: 1, retain: o.retain }, (err) => {
    if (!err) return;
    if (o.stopping() || client.disconnecting) {
      o.log.debug({ what: o.what, err: err.message }, 'publish dropped while stopping');
      return;
    }
    if (refusedByBroker(err) || republished >= MAX_REPUBLISH) {
      o.log.warn({ what: o.what, err: err.message, republished }, 'publish given up');
      return;
    }
    o.log.info({ what: o.what, err: err.message }, 'publish dropped by the MQTT client: published again');
    // Not from inside MQTT.js's flush (it walks the very queue a publish now would join): next turn, once
    // the close is fully handled and a publish goes into the store.
    setImmediate(() => publishQos1(client, topic, payload, o, republished + 1));
  });
}
