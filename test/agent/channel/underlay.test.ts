// Underlay reports and membership over the real broker: the per-host sequence only grows, across
// restarts of the channel too; the newest report is retained and sent again on every reconnect, and one
// made while the broker is unreachable arrives once it is back. Membership (retained) reaches the agent.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNDERLAY_SEQ_FILE } from '../../../src/agent/channel/index.js';
import {
  hostTopic,
  type MembershipMessage,
  type UnderlayReport,
} from '../../../src/contract/host-channel.js';
import { channelTestBed, until } from './support.js';

const bed = channelTestBed();
const reports = (hostId: string) => bed.control.of(hostId, 'underlay').map((s) => s.body as UnderlayReport);

describe('host channel: underlay reports', () => {
  it('numbers reports with a sequence that grows across restarts (persisted before sending)', async () => {
    const stateDir = await bed.channels.stateDir();
    const before = Date.now();
    const { ch: a } = await bed.host('u1', { stateDir, labels: { 'edge-overlay/kernel': '6.1' } });
    expect(a.currentSeq()).toBeGreaterThanOrEqual(before); // no file yet: the wall clock in ms
    const r1 = await a.reportUnderlay('10.0.0.1', 'eth0', 24);
    expect(r1).toEqual({
      seq: a.currentSeq(),
      underlayIp: '10.0.0.1',
      underlayIface: 'eth0',
      prefixLength: 24,
      // the broker's address as this host reaches it (the connection's remote address)
      brokerAddress: '127.0.0.1',
      labels: { 'edge-overlay/kernel': '6.1' },
    });
    expect(a.brokerAddress()).toBe('127.0.0.1');
    expect(Number((await readFile(join(stateDir, UNDERLAY_SEQ_FILE), 'utf8')).trim())).toBe(r1.seq);
    await until('report 1', () => reports('u1').length === 1);
    await a.stop();

    const { ch: b } = await bed.host('u1', { stateDir });
    expect(b.currentSeq()).toBe(r1.seq);
    const [r2, r3] = await Promise.all([
      b.reportUnderlay('10.0.0.2', 'eth0'),
      b.reportUnderlay(null, 'eth0'),
    ]);
    expect(r2.seq).toBe(r1.seq + 1);
    expect(r3.seq).toBe(r1.seq + 2);
    await until('reports 2 and 3', () => reports('u1').length >= 3);
    expect(reports('u1').map((r) => r.seq)).toEqual([r1.seq, r2.seq, r3.seq]);
    // the broker keeps the newest one for a control plane that subscribes later
    expect(await bed.control.retained('u1', 'underlay')).toMatchObject({ seq: r3.seq, underlayIp: null });

    // a lost sequence file starts from the clock, which is still past every number used
    await b.stop();
    await rm(join(stateDir, UNDERLAY_SEQ_FILE));
    const { ch: c } = await bed.host('u1', { stateDir });
    expect(c.currentSeq()).toBeGreaterThan(r3.seq);
  });

  it('sends the newest report again on reconnect, and one made while the broker was unreachable once it is back', async () => {
    const { ch, proxy } = await bed.behindProxy('u2');
    const r1 = await ch.reportUnderlay('10.0.0.1', 'eth0');
    await until('report', () => reports('u2').length === 1);

    ch.reconnectNow();
    await until('re-sent', () => reports('u2').length === 2);
    expect(reports('u2')[1]).toEqual(r1);

    proxy.cut();
    await until('offline', () => !ch.connected());
    const r2 = await ch.reportUnderlay('10.0.0.9', 'eth0');
    await new Promise((r) => setTimeout(r, 300));
    expect(reports('u2').some((r) => r.seq === r2.seq)).toBe(false);
    proxy.restore();
    await until('delivered after reconnect', () => reports('u2').some((r) => r.seq === r2.seq));
    expect(reports('u2').at(-1)).toEqual(r2); // never an older report after the newest
  });
});

describe('host channel: membership', () => {
  const setMembership = (payload: string) =>
    bed.control.client.publishAsync(hostTopic('m1', 'membership'), payload, { qos: 1, retain: true });

  it('hands the retained membership to the agent on every connect, after a restart too; garbage is dropped', async () => {
    const got: MembershipMessage[] = [];
    await setMembership(JSON.stringify({ cluster: 'edge' }));
    const { ch } = await bed.host('m1', { onMembership: (m) => void got.push(m) });
    await until('membership', () => got.length === 1);
    expect(got[0]).toEqual({ cluster: 'edge' });

    await setMembership('{"cluster": "Not A Name!"}');
    await setMembership(JSON.stringify({ cluster: null }));
    await until('removed', () => got.length === 2);
    expect(got[1]).toEqual({ cluster: null });

    ch.reconnectNow();
    await until('again after reconnect', () => got.length === 3);
    expect(got[2]).toEqual({ cluster: null });

    await ch.stop(); // an agent restart: the session is resumed, the retained membership comes again
    const again: MembershipMessage[] = [];
    await bed.host('m1', { onMembership: (m) => void again.push(m) });
    await until('after restart', () => again.length === 1);
    expect(again[0]).toEqual({ cluster: null });
  });
});
