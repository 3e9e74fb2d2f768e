// No result is lost across reconnects (issue 12 point 5: "No command is lost"). After a reconnect with a
// resumed session MQTT.js first re-sends its stored QoS 1 messages, one per round trip, and holds every
// publish made meanwhile in a side queue (not in its store). When that connection closes before the
// re-send is over (a second address change, a takeover, a keepalive), MQTT.js fails the held publishes
// with "Connection closed" and forgets them. A command's result published in that window was gone: its
// command had been acknowledged, so nothing ever re-delivered it, and the control side's activity waited
// out its 30 s start-to-close. Real broker, real agent channel, the path broken with a TCP proxy.
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPUBLISH, publishQos1 } from '../../../src/agent/channel/qos1-publish.js';
import type { VipReport } from '../../../src/domain/site-vip.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { channelFactory, type Control, log, recordingHandlers, startControl, until } from './support.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** Enough stored reports that their re-send (one round trip each) is still running when the result comes. */
const STORED = 400;

const vipReport = (seq: number): VipReport =>
  ({ seq, epoch: 1, holding: false, reason: 'test', at: Date.now() }) as unknown as VipReport;

describe('host channel: results published while stored messages are being re-sent', () => {
  let tb: TestBroker;
  let control: Control;
  let channels: ReturnType<typeof channelFactory>;
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    tb = await startTestBroker();
    control = await startControl(tb, ['results', 'vip']);
    channels = channelFactory(tb);
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await channels?.stopAll();
    await tb?.stop();
  });

  it('a result published during the re-send reaches the control side although that connection drops', async () => {
    const hostId = 'rd1';
    const proxy = await startTcpProxy(tb.url);
    proxies.push(proxy);
    const rec = recordingHandlers();
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    // the command's handler finishes only when the test says so: while the re-send runs
    rec.probe = async () => {
      await held;
      return { reachable: [], unreachable: [], sent: 0, lost: 0 };
    };
    const identity = { ...(await channels.identity(hostId)), brokerUrl: proxy.url };
    const ch = await channels.start({ hostId, handlers: rec.handlers, identity, reconnectPeriodMs: 100_000 });
    await until('connected', () => ch.connected());

    const command = await control.send(hostId, { kind: 'probePeers', input: {} });
    await until('command running', () => rec.calls.some((c) => c.kind === 'probePeers'));

    // The path breaks (the host's address changed): reports made meanwhile wait in MQTT.js's store.
    proxy.cut();
    await until('disconnected', () => !ch.connected());
    for (let seq = 1; seq <= STORED; seq++) ch.reportVip(vipReport(seq));
    proxy.restore();
    ch.reconnectNow(); // the new address: reconnect at once; the stored reports are re-sent one by one
    await until('re-send under way', () => control.of(hostId, 'vip').length > 0);
    expect(control.of(hostId, 'vip').length).toBeLessThan(STORED); // still re-sending

    release(); // the command ends: its result is published now, behind the re-send
    await new Promise((r) => setImmediate(r));
    ch.reconnectNow(); // and that connection goes too (another address change)

    const result = await until(
      'the result',
      () => control.of(hostId, 'results').find((s) => (s.body as { id: string }).id === command.id),
      15_000,
    );
    expect(result.body).toMatchObject({ id: command.id, ok: true });
    // and every stored report still arrives
    await until(
      'all reports',
      () => new Set(control.of(hostId, 'vip').map((s) => (s.body as VipReport).seq)).size === STORED,
      15_000,
    );
  }, 40_000);
});

describe('publishQos1: what is published again', () => {
  /** Just enough of an MqttClient: each publish is recorded and answered with the next scripted error. */
  const scripted = (errors: Array<Error | undefined>) => {
    const sent: string[] = [];
    const client = {
      disconnecting: false,
      publish(_t: string, payload: string, _o: unknown, cb: (err?: Error) => void) {
        sent.push(payload);
        const err = errors.shift();
        setImmediate(() => cb(err));
      },
    };
    return { sent, client: client as unknown as MqttClient };
  };
  const opts = (stopping = false) => ({ retain: false, what: 'test', log, stopping: () => stopping });
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('a publish MQTT.js dropped ("Connection closed") goes out again until acknowledged', async () => {
    const { sent, client } = scripted([new Error('Connection closed'), new Error('Connection closed')]);
    publishQos1(client, 't', 'r1', opts());
    await settle();
    expect(sent).toEqual(['r1', 'r1', 'r1']);
  });

  it('a refusal by the broker (a PUBACK reason code) and a publish while stopping are not sent again', async () => {
    const refused = Object.assign(new Error('Publish error: Not authorized'), { code: 135 });
    const a = scripted([refused]);
    publishQos1(a.client, 't', 'r1', opts());
    const b = scripted([new Error('client disconnecting')]);
    publishQos1(b.client, 't', 'r2', opts(true));
    await settle();
    expect(a.sent).toEqual(['r1']);
    expect(b.sent).toEqual(['r2']);
  });

  it('gives up after MAX_REPUBLISH attempts (a broker that closes every connection)', async () => {
    const { sent, client } = scripted(Array.from({ length: 1000 }, () => new Error('Connection closed')));
    publishQos1(client, 't', 'r1', opts());
    await until('given up', () => sent.length === MAX_REPUBLISH + 1);
    await settle();
    expect(sent.length).toBe(MAX_REPUBLISH + 1);
  });
});
