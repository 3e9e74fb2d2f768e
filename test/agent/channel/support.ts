// What the host-channel tests share: a real broker, a control-side client (CONTROL_IDENTITY) that sends
// commands and collects what hosts publish, handlers that record their calls, and a channel factory that
// gives every host a fresh certificate and state dir and stops what it started.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { HostActivities } from '../../../src/activities/host/contract.js';
import {
  type HostChannel,
  type HostChannelOptions,
  startHostChannel,
} from '../../../src/agent/channel/index.js';
import type { ChannelIdentity } from '../../../src/agent/channel/session.js';
import {
  CONTROL_IDENTITY,
  everyHostTopic,
  type HostCommand,
  type HostCommandKind,
  type HostTopicLeaf,
  hostTopic,
  parseHostTopic,
} from '../../../src/contract/host-channel.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export const log = pino({ level: process.env['CHANNEL_TEST_LOG'] ?? 'silent' });

export async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A message a host published, as the control side saw it (host and leaf from the topic). */
export interface Seen {
  hostId: string;
  leaf: string;
  body: unknown;
  retain: boolean;
  at: number;
}

export interface Control {
  client: MqttClient;
  seen: Seen[];
  send(hostId: string, c: Partial<HostCommand> & { kind: HostCommandKind }): Promise<HostCommand>;
  sendRaw(hostId: string, payload: string): Promise<void>;
  /** What the host published live on a leaf (retained copies a re-subscription brings left out). */
  of(hostId: string, leaf: HostTopicLeaf): Seen[];
  /**
   * The retained message a control plane reads when it (re)subscribes. The broker uses the certificate's
   * CN as client id, so a second control connection would take this one's session over: this client
   * subscribes once more to the host's own topic, takes the retained copy, and unsubscribes.
   */
  retained(hostId: string, leaf: HostTopicLeaf): Promise<unknown>;
}

let ids = 0;
export const commandId = () => `cmd-${process.pid}-${++ids}-${Date.now()}`;

export async function startControl(
  tb: TestBroker,
  leaves: readonly HostTopicLeaf[] = ['results', 'status', 'underlay', 'renew'],
): Promise<Control> {
  const client = await tb.connect(CONTROL_IDENTITY);
  const seen: Seen[] = [];
  client.on('message', (topic, payload, packet) => {
    const where = parseHostTopic(topic);
    if (!where || payload.length === 0) return;
    seen.push({
      hostId: where.hostId,
      leaf: where.leaf,
      body: JSON.parse(payload.toString()),
      retain: packet.retain,
      at: Date.now(),
    });
  });
  await client.subscribeAsync(
    leaves.map((l) => everyHostTopic(l)),
    { qos: 1 },
  );
  return {
    client,
    seen,
    async send(hostId, c) {
      const command: HostCommand = { id: commandId(), input: {}, deadline: Date.now() + 30_000, ...c };
      await client.publishAsync(hostTopic(hostId, 'commands'), JSON.stringify(command), { qos: 1 });
      return command;
    },
    async sendRaw(hostId, payload) {
      await client.publishAsync(hostTopic(hostId, 'commands'), payload, { qos: 1 });
    },
    of: (hostId, leaf) => seen.filter((s) => s.hostId === hostId && s.leaf === leaf && !s.retain),
    async retained(hostId, leaf) {
      const from = seen.length;
      await client.subscribeAsync(hostTopic(hostId, leaf), { qos: 1 });
      try {
        const found = () => seen.slice(from).find((m) => m.retain && m.hostId === hostId && m.leaf === leaf);
        return (await until(`retained ${leaf} of ${hostId}`, found)).body;
      } finally {
        await client.unsubscribeAsync(hostTopic(hostId, leaf));
      }
    },
  };
}

/** Handlers that record each call; a test sets what probePeers does. */
export function recordingHandlers() {
  const calls: { kind: string; input: unknown; at: number }[] = [];
  const record = (kind: string) => async (input?: unknown) => {
    calls.push({ kind, input, at: Date.now() });
    return { kind };
  };
  const h = {
    calls,
    probe: async (_input: unknown): Promise<unknown> => ({
      reachable: [],
      unreachable: [],
      sent: 0,
      lost: 0,
    }),
  };
  const handlers = {
    preflight: record('preflight'),
    applyOverlay: record('applyOverlay'),
    setPeers: record('setPeers'),
    assignVip: record('assignVip'),
    releaseVip: record('releaseVip'),
    teardown: record('teardown'),
    probePeers: async (input: unknown) => {
      calls.push({ kind: 'probePeers', input, at: Date.now() });
      return h.probe(input);
    },
  } as unknown as HostActivities;
  return Object.assign(h, { handlers });
}

/** Starts channels for hosts on the test broker; `stopAll` stops them and removes their state dirs. */
export function channelFactory(tb: TestBroker) {
  const started: HostChannel[] = [];
  const dirs: string[] = [];
  const identities = new Map<string, ChannelIdentity>();
  const identity = async (hostId: string): Promise<ChannelIdentity> => {
    const known = identities.get(hostId);
    if (known) return known;
    const c = await tb.credentials(hostId);
    const id = { hostId, brokerUrl: tb.url, caPem: tb.caPem, certPem: c.certPem, privateKeyPem: c.keyPem };
    identities.set(hostId, id);
    return id;
  };
  const stateDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'eo-channel-'));
    dirs.push(d);
    return d;
  };
  return {
    identity,
    stateDir,
    async start(
      o: Partial<HostChannelOptions> & { hostId: string; handlers: HostActivities; stateDir?: string },
    ) {
      const ch = await startHostChannel({
        identity: o.identity ?? (await identity(o.hostId)),
        log,
        epoch: 1,
        agentVersion: 'test',
        reconnectPeriodMs: 200,
        ...o,
        stateDir: o.stateDir ?? (await stateDir()),
      });
      started.push(ch);
      return ch;
    },
    async stopAll() {
      await Promise.all(started.map((c) => c.stop().catch(() => undefined)));
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

export interface TestBed {
  tb: TestBroker;
  control: Control;
  channels: ReturnType<typeof channelFactory>;
  /** A channel for a host with recording handlers, connected and subscribed. */
  host(
    hostId: string,
    o?: Partial<HostChannelOptions>,
  ): Promise<{ ch: HostChannel; rec: ReturnType<typeof recordingHandlers> }>;
  /** The same, its path to the broker through a proxy the test can break (closed after each test). */
  behindProxy(
    hostId: string,
    o?: Partial<HostChannelOptions>,
  ): Promise<{ ch: HostChannel; rec: ReturnType<typeof recordingHandlers>; proxy: TcpProxy }>;
}

/** One broker, control client and channel factory per test file, set up and torn down by vitest hooks. */
export function channelTestBed(): TestBed {
  const proxies: TcpProxy[] = [];
  const bed = {} as TestBed;
  bed.host = async (hostId, o = {}) => {
    const rec = recordingHandlers();
    const ch = await bed.channels.start({ hostId, handlers: rec.handlers, ...o });
    await until(`${hostId} connected`, () => ch.connected());
    return { ch, rec };
  };
  bed.behindProxy = async (hostId, o = {}) => {
    const proxy = await startTcpProxy(bed.tb.url);
    proxies.push(proxy);
    const identity = { ...(await bed.channels.identity(hostId)), brokerUrl: proxy.url };
    return { ...(await bed.host(hostId, { identity, ...o })), proxy };
  };
  beforeAll(async () => {
    bed.tb = await startTestBroker();
    bed.control = await startControl(bed.tb);
    bed.channels = channelFactory(bed.tb);
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await bed.channels?.stopAll();
    await bed.tb?.stop();
  });
  return bed;
}
