// The control worker's host relay for workflow-logic tests, in process: each relayed host command goes to a
// FakeHost and the activity is completed asynchronously through the client when the fake answers, exactly
// as src/control completes it when a host's result arrives over the broker. A host the test does not know
// (or one that hangs) never answers: the activity runs into its timeout like a command to a host that is away.
// A setPeers reference is resolved with the product's own resolver first (src/control/peer-tables.ts).
import { CompleteAsyncError, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { hostCommandKinds } from '../../../src/contract/host-channel.js';
import type { HostRelayActivities } from '../../../src/contract/host-relay.js';
import { createPeerTables, queryPeerSource } from '../../../src/control/peer-tables.js';
import { resolvePeers, whileBeating } from '../../../src/control/relay-activities.js';
import type { FakeHost } from './fake-host.js';

type Kind = keyof HostRelayActivities;

export function createFakeRelayActivities(
  client: Client,
  lookup: (hostId: string) => FakeHost | undefined,
): HostRelayActivities {
  // Peer table references are resolved as the real relay resolves them (the cluster's query, shared reads).
  const peerTables = createPeerTables(queryPeerSource(client));
  const relay =
    (kind: Kind) =>
    async ({
      hostId,
      ...input
    }: {
      hostId: string;
      peers?: unknown;
      peersFrom?: unknown;
    }): Promise<never> => {
      const { taskToken } = Context.current().info;
      if (input.peersFrom !== undefined) {
        const { peersFrom, ...rest } = input;
        input = { ...rest, peers: await whileBeating(() => resolvePeers(hostId, peersFrom, peerTables)) };
      }
      // Heartbeated until answered or the attempt's deadline, as the real relay does for what it waits on.
      const { startToCloseTimeoutMs } = Context.current().info;
      const beat = setInterval(() => void client.activity.heartbeat(taskToken).catch(() => undefined), 3_000);
      const stopBeat = setTimeout(() => clearInterval(beat), startToCloseTimeoutMs || 60_000);
      const done = () => {
        clearInterval(beat);
        clearTimeout(stopBeat);
      };
      const host = lookup(hostId);
      if (host) {
        void host
          .run(kind, input)
          .then(
            (result) => client.activity.complete(taskToken, result),
            (err: unknown) => client.activity.fail(taskToken, err as Error),
          )
          .catch(() => undefined) // the activity timed out meanwhile: nobody waits for this result
          .finally(done);
      }
      throw new CompleteAsyncError();
    };
  return Object.fromEntries(hostCommandKinds.map((k) => [k, relay(k)])) as unknown as HostRelayActivities;
}
