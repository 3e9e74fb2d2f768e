// A stand-in agent for relay tests: a real MQTT session under a host's own certificate that records the
// commands it receives and answers them as the test says (or not at all).
import type { MqttClient } from 'mqtt';
import {
  type HostCommand,
  type HostResult,
  hostCommandSchema,
  hostTopic,
} from '../../../src/contract/host-channel.js';
import type { TestBroker } from '../../helpers/broker.js';

export type Answer = (command: HostCommand) => HostResult | null;

export interface FakeHost {
  hostId: string;
  client: MqttClient;
  commands: HostCommand[];
  /** Other messages on the host's own subtree (membership, certificate), by leaf topic. */
  received: Array<{ topic: string; payload: unknown; retain: boolean }>;
  publish(
    leaf: 'results' | 'underlay' | 'status' | 'renew',
    message: unknown,
    retain?: boolean,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface FakeHostOptions {
  answer?: Answer;
  /** Reuse a certificate (reconnecting under the same identity). */
  creds?: { certPem: string; keyPem: string };
  /** Subscribe to the host's own subtree (needed once to create the persistent session). */
  subscribe?: boolean;
}

/** Connects with a persistent session (like the agent) and resolves once CONNACK arrived. */
export async function startFakeHost(
  broker: TestBroker,
  hostId: string,
  opts: FakeHostOptions = {},
): Promise<FakeHost> {
  const creds = opts.creds ?? (await broker.credentials(hostId));
  const client = await broker.client(hostId, {
    certPem: creds.certPem,
    keyPem: creds.keyPem,
    clean: false,
    sessionExpiryS: 3600,
  });
  const host: FakeHost = {
    hostId,
    client,
    commands: [],
    received: [],
    async publish(leaf, message, retain = false) {
      await client.publishAsync(hostTopic(hostId, leaf), JSON.stringify(message), { qos: 1, retain });
    },
    close: () => client.endAsync(),
  };
  // Listening before CONNACK: commands queued in the session arrive right after it.
  client.on('message', (topic, payload, packet) => {
    const value: unknown = JSON.parse(payload.toString());
    if (topic !== hostTopic(hostId, 'commands')) {
      host.received.push({ topic, payload: value, retain: packet.retain });
      return;
    }
    const command = hostCommandSchema.parse(value);
    host.commands.push(command);
    const result = opts.answer?.(command);
    if (result) void host.publish('results', result);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('close', () => reject(new Error(`${hostId} could not connect`)));
  });
  if (opts.subscribe !== false) {
    const leaves = ['commands', 'membership', 'certificate'] as const;
    await client.subscribeAsync(
      leaves.map((leaf) => hostTopic(hostId, leaf)),
      { qos: 1 },
    );
  }
  return host;
}

export const echo: Answer = (command) => ({
  id: command.id,
  ok: true,
  result: { kind: command.kind, input: command.input },
});
