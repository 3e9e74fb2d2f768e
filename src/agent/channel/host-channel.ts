// The agent's one line to the control plane (DESIGN.md v2): an MQTT 5 session under the host's own
// certificate. On every (re)connect it says it is online (retained, with its per-boot epoch), subscribes
// to its commands, membership and certificate leaves, and re-sends its newest underlay report. Commands
// go to the dispatcher; membership to the agent's guard; certificates to the renewal loop.
// The topic, never the payload, says which host a message is about (src/contract/host-channel.ts).
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { HostActivities } from '../../activities/host/contract.js';
import {
  type CertificateMessage,
  certificateMessageSchema,
  type HostStatus,
  hostStatusSchema,
  hostTopic,
  type MembershipMessage,
  membershipSchema,
  parseHostTopic,
  type UnderlayReport,
} from '../../contract/host-channel.js';
import type { VipReport } from '../../domain/site-vip.js';
import type { RenewalChannel } from '../identity/renewal.js';
import { CommandDispatcher, type DispatcherStats } from './dispatcher.js';
import { publishQos1 } from './qos1-publish.js';
import {
  type ChannelIdentity,
  OFFLINE,
  openAgentSession,
  presentCurrentCertificate,
  reconnectAtOnce,
  type SessionTiming,
} from './session.js';
import { UnderlayReporter } from './underlay-reporter.js';

export interface HostChannelOptions extends SessionTiming {
  identity: ChannelIdentity;
  /** Where the underlay sequence is kept (the agent's state dir). */
  stateDir: string;
  handlers: HostActivities;
  log: Logger;
  /** The cluster the control plane counts this host in (retained: again after every reconnect). */
  onMembership?: (m: MembershipMessage) => void | Promise<void>;
  /** Changes every time the agent starts. */
  epoch: number;
  agentVersion: string;
  /** Sent with every underlay report (kernel, VxLAN support, MTU …). */
  labels?: Record<string, string>;
  /** How long stop() lets running commands finish so their results go out (default 5 s). */
  stopGraceMs?: number;
}

export interface HostChannel extends RenewalChannel {
  /** Numbers (persisted) and publishes a report; resolves once numbered, not when delivered. */
  reportUnderlay(
    underlayIp: string | null,
    underlayIface: string,
    prefixLength?: number,
  ): Promise<UnderlayReport>;
  currentSeq(): number;
  /** Publishes a numbered site VIP report (vip-reports.ts), QoS 1, not retained: one made while the broker
   * is unreachable stays in MQTT.js's queue and goes out on reconnect. */
  reportVip(report: VipReport): void;
  /** The control plane's (broker's) address as this host reaches it; undefined before the first connect. */
  brokerAddress(): string | undefined;
  /** Connected and subscribed: a command sent now reaches this host (even across a reconnect). */
  connected(): boolean;
  /** After an address change the old TCP connection is dead: reconnect now, not after the keepalive. */
  reconnectNow(): void;
  /** Publishes offline, then disconnects cleanly (no Will); the session and its queue stay. */
  stop(): Promise<void>;
  stats(): ChannelStats;
}

export interface ChannelStats extends DispatcherStats {
  connects: number;
  lastConnectAt: number | null;
}

const STOP_PUBLISH_MS = 2000;
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);

export async function startHostChannel(o: HostChannelOptions): Promise<HostChannel> {
  const { identity } = o;
  const log = o.log.child({ component: 'channel' });
  const topic = {
    commands: hostTopic(identity.hostId, 'commands'),
    results: hostTopic(identity.hostId, 'results'),
    underlay: hostTopic(identity.hostId, 'underlay'),
    status: hostTopic(identity.hostId, 'status'),
    membership: hostTopic(identity.hostId, 'membership'),
    renew: hostTopic(identity.hostId, 'renew'),
    certificate: hostTopic(identity.hostId, 'certificate'),
    vip: hostTopic(identity.hostId, 'vip'),
  };
  const online: HostStatus = hostStatusSchema.parse({
    online: true,
    epoch: o.epoch,
    agentVersion: o.agentVersion,
  });
  const reporter = await UnderlayReporter.open({
    stateDir: o.stateDir,
    log,
    ...(o.labels ? { labels: o.labels } : {}),
  });
  const certificateListeners = new Set<(m: CertificateMessage) => void>();
  let stopping = false;
  let connects = 0;
  let lastConnectAt: number | null = null;
  let lastError = '';
  let subscribed = false;
  let membershipChain: Promise<unknown> = Promise.resolve();

  const client: MqttClient = openAgentSession(identity, o);
  // A QoS 1 message that has not gone out yet waits in MQTT.js's store and goes out on the next connect;
  // one MQTT.js drops on a close is published again (qos1-publish.ts).
  const publish = (t: string, payload: unknown, retain: boolean, what: string) =>
    publishQos1(client, t, JSON.stringify(payload), { retain, what, log, stopping: () => stopping });

  const dispatcher = new CommandDispatcher({
    handlers: o.handlers,
    log,
    publish: (result) => publish(topic.results, result, false, `result ${result.id}`),
  });

  // While stopping, a command is neither run nor acknowledged: the broker keeps it in the session and
  // delivers it to the next run of the agent.
  client.handleMessage = (_packet: IPublishPacket, done: (err?: Error) => void) => {
    if (!stopping) done();
  };

  client.on('connect', (connack) => {
    connects++;
    lastConnectAt = Date.now();
    lastError = '';
    log.info({ sessionPresent: connack.sessionPresent, connects }, 'connected to the broker');
    publish(topic.status, online, true, 'status');
    // A resumed session keeps its subscriptions, and mosquitto sends no retained message for one that
    // exists already: the membership subscription is made anew so its retained message arrives on every
    // connect (after an agent restart too). `commands` is never unsubscribed: its queue lives there.
    client.unsubscribe(topic.membership);
    client.subscribe([topic.commands, topic.membership, topic.certificate], { qos: 1 }, (err, granted) => {
      const refused = granted?.filter((g) => g.qos > 2).map((g) => g.topic) ?? [];
      if (err || refused.length > 0)
        return log.warn({ err: err?.message, refused }, 'subscribe failed (tried again on the next connect)');
      // only now does the session hold the subscription: commands sent from here on are kept for us
      subscribed = true;
    });
    // The report names the broker's address as reached now (a new address makes a newly numbered report).
    const remote = (client.stream as { remoteAddress?: string } | undefined)?.remoteAddress;
    void reporter
      .connectedTo(remote)
      .then((latest) => latest && publish(topic.underlay, latest, true, 'underlay'))
      .catch((err) => log.warn({ err: String(err) }, 'could not number the underlay report'));
  });
  client.on('close', () => (subscribed = false));
  client.on('offline', () => log.warn('lost the broker; reconnecting'));
  client.on('error', (err) => {
    if (err.message === lastError) return; // the same refusal on every retry is said once
    lastError = err.message;
    log.warn({ err: err.message }, 'broker connection error');
  });

  client.on('message', (t, payload) => {
    if (stopping) return;
    const where = parseHostTopic(t);
    if (!where || where.hostId !== identity.hostId) return; // the ACL makes this unreachable
    if (where.leaf === 'commands') dispatcher.receive(payload);
    else if (where.leaf === 'membership') onMembershipMessage(payload);
    else if (where.leaf === 'certificate') onCertificateMessage(payload);
  });

  const parseJson = (payload: Buffer): unknown => {
    try {
      return JSON.parse(payload.toString());
    } catch {
      return undefined;
    }
  };

  const onMembershipMessage = (payload: Buffer) => {
    if (payload.length === 0) return; // a cleared retained message
    const m = membershipSchema.safeParse(parseJson(payload));
    if (!m.success) return log.warn({ bytes: payload.length }, 'malformed membership message dropped');
    // one at a time, in the order they came: the last one the control plane sent is the last applied
    membershipChain = membershipChain
      .then(() => o.onMembership?.(m.data))
      .catch((err) => log.warn({ err: String(err) }, 'membership handler failed'));
  };

  const onCertificateMessage = (payload: Buffer) => {
    if (payload.length === 0) return;
    const m = certificateMessageSchema.safeParse(parseJson(payload));
    if (!m.success) return log.warn({ bytes: payload.length }, 'malformed certificate message dropped');
    if (certificateListeners.size === 0) log.info('certificate message with no renewal waiting: ignored');
    for (const listener of certificateListeners) listener(m.data);
  };

  return {
    async reportUnderlay(underlayIp, underlayIface, prefixLength) {
      const report = await reporter.next(underlayIp, underlayIface, prefixLength);
      publish(topic.underlay, report, true, 'underlay');
      log.info({ seq: report.seq, underlayIp, underlayIface }, 'underlay reported');
      return report;
    },
    currentSeq: () => reporter.currentSeq(),
    reportVip(report) {
      publish(topic.vip, report, false, 'vip');
      log.info({ seq: report.seq, holding: report.holding, reason: report.reason }, 'vip reported');
    },
    brokerAddress: () => reporter.brokerAddress(),
    connected: () => client.connected && subscribed,
    reconnectNow() {
      log.info('reconnecting now');
      reconnectAtOnce(client);
    },
    async requestRenewal(csr) {
      publish(topic.renew, { csr }, false, 'renew');
    },
    onCertificate(listener) {
      certificateListeners.add(listener);
      return () => certificateListeners.delete(listener);
    },
    reloadCertificate() {
      presentCurrentCertificate(client, identity);
      reconnectAtOnce(client);
    },
    async stop() {
      stopping = true;
      await within(dispatcher.idle(), o.stopGraceMs ?? 5000);
      if (client.connected) {
        const lost = new Promise<boolean>((resolve) => client.once('close', () => resolve(false)));
        const offline = client.publishAsync(topic.status, JSON.stringify(OFFLINE), { qos: 1, retain: true });
        const acked = await within(
          Promise.race([
            offline.then(
              () => true,
              () => false,
            ),
            lost,
          ]),
          STOP_PUBLISH_MS,
        );
        if (acked) await within(client.endAsync(), STOP_PUBLISH_MS);
      }
      if (!client.disconnected) {
        // broker unreachable or not acknowledging: close the socket. A result lost with it is retried by
        // the control side after its activity timeout; the Will says offline after its delay.
        client.end(true);
        client.stream?.destroy();
      }
      log.info('disconnected from the broker');
    },
    stats: () => ({ ...dispatcher.stats, connects, lastConnectAt }),
  };
}
