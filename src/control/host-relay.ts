// The control side of the host channel, wired: one broker connection under the control identity that
// publishes host commands (relay activities), routes host results to the waiting activities, relays
// underlay reports and liveness to the host workflows, and answers certificate renewals.
import type { Client } from '@temporalio/client';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type BrokerCredentials as TlsCredentials, connectBroker } from '../clients/broker/connect.js';
import { clusterWorkflowId } from '../domain/ids.js';
import { getHostFromMemo } from '../temporal/hosts.js';
import {
  CONTROL_IDENTITY,
  everyHostTopic,
  type HostTopicLeaf,
  parseHostTopic,
} from '../contract/host-channel.js';
import type { HostRelayActivities } from '../contract/host-relay.js';
import { KeyedQueue } from './keyed-queue.js';
import { type PendingCommand, PendingCommands } from './pending-commands.js';
import { createPublisher } from './publisher.js';
import { registryPeerKeys } from './peer-keys.js';
import { createPeerTables, queryPeerSource } from './peer-tables.js';
import { createRelayActivities } from './relay-activities.js';
import { createRenewal, type HostCsrSigner, type RenewalStats, type RenewedCertificate } from './renewal.js';
import { createReportRelay, type ReportRelayStats } from './report-relay.js';
import { createResultRouter, type ResultRouterStats } from './result-router.js';
import { createVipRelay, type VipRelayStats } from './vip-relay.js';

/** Where the broker is and the control identity's credentials (certificate CN = CONTROL_IDENTITY). */
export interface BrokerCredentials extends TlsCredentials {
  /** mqtts://HOST:PORT */
  url: string;
}

export interface HostRelayOptions {
  broker: BrokerCredentials;
  client: Client;
  log: Logger;
  /** Answers certificate renewals when given (the `renew` leaf is not even subscribed without it). */
  ca?: HostCsrSigner;
  /** Records a renewed certificate on the host (its new serial); see RenewalDeps.onRenewed. */
  onCertificateRenewed?: (renewed: RenewedCertificate) => Promise<void>;
  /** Publish → result → completed, per command (measurement). */
  onRoundTrip?: (ms: number, command: PendingCommand) => void;
  /** How each published command ended (metrics): completed ok/error, late (nobody waited), expired. */
  onCommandOutcome?: (command: PendingCommand, outcome: 'ok' | 'error' | 'late' | 'expired') => void;
  /** Upper bound on Temporal calls in flight for reports (and, separately, for completions). */
  concurrency?: number;
  /** How long a publish may wait for the broker's PUBACK before the attempt fails (retryable). */
  publishTimeoutMs?: number;
  /** Defaults to CONTROL_IDENTITY; the control worker's broker session (results queued across a blip). */
  clientId?: string;
  /** How long start waits for the first connection; after it the relay runs anyway (publishes fail
   * fast as BrokerUnavailable, and the relay subscribes once the broker answers). */
  firstConnectWaitMs?: number;
}

export interface HostRelayStats extends ResultRouterStats, ReportRelayStats, RenewalStats, VipRelayStats {
  connected: boolean;
  published: number;
  pending: number;
  expired: number;
  queued: number;
}

export interface HostRelay {
  activities: HostRelayActivities;
  /** Publishes the host's membership (retained) unless that is what it last published. */
  announceMembership(hostId: string, cluster: string | null): void;
  stats(): HostRelayStats;
  stop(): Promise<void>;
}

/** Long enough to cover a broker restart or a network blip: results published meanwhile wait in the
 * session. Beyond it they are useless anyway (their activities timed out and were retried). */
const CONTROL_SESSION_EXPIRY_S = 300;
const STOP_DRAIN_MS = 5_000;

export async function startHostRelay(opts: HostRelayOptions): Promise<HostRelay> {
  const log = opts.log.child({ component: 'host-relay' });
  const mqtt: MqttClient = connectBroker({
    ...opts.broker,
    clientId: opts.clientId ?? CONTROL_IDENTITY,
    clean: false,
    sessionExpiryS: CONTROL_SESSION_EXPIRY_S,
  });
  watchConnection(mqtt, log);
  const publisher = createPublisher(mqtt, opts.publishTimeoutMs ?? 5_000);
  const onJobError = (key: string, slot: string, err: unknown) =>
    log.error({ key, slot, error: err instanceof Error ? err.message : String(err) }, 'relay job failed');
  const reportQueue = new KeyedQueue(opts.concurrency ?? 16, onJobError);
  const completionQueue = new KeyedQueue(opts.concurrency ?? 16, onJobError);
  // Direct underlay signals to clusters: never behind the slots of slow host workflow updates.
  const signalQueue = new KeyedQueue(opts.concurrency ?? 16, onJobError);
  const pending = new PendingCommands({
    onExpired: (c) => {
      opts.onCommandOutcome?.(c, 'expired');
      log.debug({ hostId: c.hostId, kind: c.kind, commandId: c.id }, 'command expired without a result');
    },
    // The attempts this relay holds stay alive; one the server started but never handed over ends after
    // its heartbeat timeout and is retried (RELAY_HEARTBEAT_TIMEOUT in workflows/activity-options.ts).
    heartbeat: (c) => void opts.client.activity.heartbeat(c.taskToken).catch(() => undefined),
  });
  let published = 0;

  const peerTables = createPeerTables(queryPeerSource(opts.client, log));
  const activities = createRelayActivities({
    pending,
    publisher,
    log,
    onPublished: () => void published++,
    peerKeys: registryPeerKeys(opts.client),
    peerTables,
  });
  const results = createResultRouter({
    pending,
    completion: opts.client.activity,
    queue: completionQueue,
    log,
    ...(opts.onRoundTrip ? { onRoundTrip: opts.onRoundTrip } : {}),
    ...(opts.onCommandOutcome ? { onOutcome: opts.onCommandOutcome } : {}),
  });
  const reports = createReportRelay({
    client: opts.client,
    publisher,
    queue: reportQueue,
    signalQueue,
    log,
    onClusterTold: (cluster, changes) => peerTables.advance(clusterWorkflowId(cluster), changes),
  });
  // A VIP report goes to the cluster the host's underlay reports are routed by (the membership published
  // to it); before this process has published one, the host's registry record says.
  const vip = createVipRelay({
    client: opts.client,
    queue: reportQueue,
    log,
    clusterOf: async (hostId) => {
      const published = reports.clusterOf(hostId);
      if (published !== undefined) return published;
      return (await getHostFromMemo(opts.client, hostId))?.cluster ?? null;
    },
  });
  const renewal = opts.ca
    ? createRenewal({
        ca: opts.ca,
        readHost: (hostId) => getHostFromMemo(opts.client, hostId),
        publisher,
        queue: reportQueue,
        log,
        ...(opts.onCertificateRenewed ? { onRenewed: opts.onCertificateRenewed } : {}),
      })
    : null;

  const handlers: Partial<Record<HostTopicLeaf, (hostId: string, payload: Buffer) => void>> = {
    results: results.route,
    underlay: reports.onUnderlay,
    status: reports.onStatus,
    vip: vip.onVip,
    ...(renewal ? { renew: renewal.onRenew } : {}),
  };
  let stopping = false;
  // Every handler only validates and queues, so the message is acknowledged right away and one slow
  // Temporal call never holds up the broker stream (MQTT.js handles one message at a time). Redelivery
  // after a crash would gain nothing: pending commands live in this process, reports are retained.
  mqtt.handleMessage = (packet, done) => {
    const where = parseHostTopic(packet.topic);
    const handle = where ? handlers[where.leaf] : undefined;
    if (!stopping && where && handle) {
      try {
        handle(where.hostId, Buffer.from(packet.payload));
      } catch (err) {
        log.error({ hostId: where.hostId, leaf: where.leaf, error: String(err) }, 'message handler failed');
      }
    }
    done();
  };

  const topics = Object.keys(handlers).map((leaf) => everyHostTopic(leaf as HostTopicLeaf));
  const subscribe = async () => {
    try {
      await mqtt.subscribeAsync(topics, { qos: 1 });
      log.info({ topics }, 'host relay subscribed');
    } catch (err) {
      log.warn({ error: String(err) }, 'host relay could not subscribe (retried on reconnect)');
    }
  };
  // The first connection of this process always subscribes, even onto a session that survived a
  // previous process: a SUBSCRIBE re-sends the retained underlay and status of every host, which
  // this process has not seen. Later reconnects subscribe only when the broker lost the session.
  let subscribing: Promise<void> | null = null;
  mqtt.on('connect', (connack) => {
    if (subscribing === null || !connack.sessionPresent) subscribing = subscribe();
  });
  if (await firstConnect(mqtt, opts.firstConnectWaitMs ?? 5_000)) await subscribing;
  else log.warn({ url: opts.broker.url }, 'broker not reachable yet; host relay keeps trying');

  return {
    activities,
    announceMembership: reports.announceMembership,
    stats: () => ({
      connected: mqtt.connected,
      published,
      pending: pending.size,
      expired: pending.expired,
      queued: reportQueue.size + completionQueue.size + signalQueue.size,
      ...results.stats(),
      ...reports.stats(),
      ...vip.stats(),
      ...(renewal ? renewal.stats() : { renewed: 0, refused: 0 }),
    }),
    async stop() {
      if (stopping) return;
      stopping = true;
      const drained = Promise.all([reportQueue.idle(), completionQueue.idle(), signalQueue.idle()]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, STOP_DRAIN_MS)))]);
      clearTimeout(timer);
      pending.clear();
      await mqtt.endAsync();
      log.info('host relay stopped');
    },
  };
}

/** True once connected, false when `ms` passed first. */
function firstConnect(mqtt: MqttClient, ms: number): Promise<boolean> {
  if (mqtt.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      mqtt.off('connect', onConnect);
      resolve(false);
    }, ms);
    const onConnect = () => {
      clearTimeout(timer);
      resolve(true);
    };
    mqtt.once('connect', onConnect);
  });
}

/** Logs connection state changes once each (MQTT.js repeats 'error' on every failed reconnect). */
function watchConnection(mqtt: MqttClient, log: Logger): void {
  let up = false;
  let lastError = '';
  mqtt.on('connect', () => {
    up = true;
    lastError = '';
    log.info('host relay connected to the broker');
  });
  mqtt.on('offline', () => {
    if (up) log.warn('host relay lost the broker; reconnecting');
    up = false;
  });
  mqtt.on('error', (err) => {
    if (err.message !== lastError) log.warn({ error: err.message }, 'broker connection error');
    lastError = err.message;
  });
}
