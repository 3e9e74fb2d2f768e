// Site VIP reports over the real broker (issue 13): each transition is numbered with a per-host sequence
// that grows across restarts (persisted before it leaves), published QoS 1 and not retained on the host's
// `vip` leaf; reports made before the channel exists go out first, in order; one made while the broker is
// unreachable arrives once it is back (MQTT.js's queue).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VIP_SEQ_FILE, type VipReportFields, VipReports } from '../../../src/agent/channel/vip-reports.js';
import { everyHostTopic } from '../../../src/contract/host-channel.js';
import { type VipReport, vipReportSchema } from '../../../src/domain/site-vip.js';
import { channelTestBed, log, pause, until } from './support.js';

const bed = channelTestBed();
beforeAll(async () => {
  await bed.control.client.subscribeAsync(everyHostTopic('vip'), { qos: 1 });
});
const seenVip = (hostId: string) => bed.control.of(hostId, 'vip').map((s) => s.body as VipReport);
const fields = (holding: boolean, over: Partial<VipReportFields> = {}): VipReportFields => ({
  cluster: 'site',
  holding,
  reason: holding ? 'Initial' : 'QuorumLost',
  at: Date.now(),
  policyVersion: 1,
  ...over,
});

describe('site VIP reports', () => {
  it('numbers reports across restarts, keeps early ones until the channel attaches, publishes them not retained', async () => {
    const stateDir = await bed.channels.stateDir();
    const before = Date.now();
    const reports = await VipReports.open({ stateDir, log });
    const start = reports.currentSeq();
    expect(start).toBeGreaterThanOrEqual(before); // no file yet: the wall clock in ms
    // two transitions before the channel exists (the elector starts first at agent start)
    const early = [await reports.add(fields(true)), await reports.add(fields(false))];
    expect(early.map((r) => r?.seq)).toEqual([start + 1, start + 2]);
    expect(Number((await readFile(join(stateDir, VIP_SEQ_FILE), 'utf8')).trim())).toBe(early[1]!.seq);

    const { ch } = await bed.host('v1', { stateDir });
    reports.attach((r) => ch.reportVip(r));
    const late = await reports.add(fields(true, { reason: 'HolderLost' }));
    await until('three reports', () => seenVip('v1').length === 3);
    const seen = seenVip('v1');
    expect(seen).toEqual([early[0], early[1], late]);
    for (const r of seen) expect(vipReportSchema.safeParse(r).success).toBe(true);
    expect(seen.map((r) => r.seq)).toEqual([early[0]!.seq, early[0]!.seq + 1, early[0]!.seq + 2]);
    expect(bed.control.seen.filter((s) => s.leaf === 'vip' && s.retain)).toEqual([]);

    // a restart resumes after the last number used; concurrent adds keep their order
    const again = await VipReports.open({ stateDir, log });
    expect(again.currentSeq()).toBe(late!.seq);
    const [a, b] = await Promise.all([again.add(fields(false)), again.add(fields(true))]);
    expect([a?.seq, b?.seq]).toEqual([late!.seq + 1, late!.seq + 2]);

    // an unusable file is set aside: the clock, still past every number used, seeds the sequence
    await writeFile(join(stateDir, VIP_SEQ_FILE), 'garbage\n');
    const fresh = await VipReports.open({ stateDir, log });
    expect(fresh.currentSeq()).toBeGreaterThan(b!.seq);
    expect((await readdir(stateDir)).some((n) => n.startsWith(`${VIP_SEQ_FILE}.corrupt-`))).toBe(true);
  });

  it('a report made while the broker is unreachable is delivered after the reconnect', async () => {
    const { ch, proxy } = await bed.behindProxy('v2');
    const reports = await VipReports.open({ stateDir: await bed.channels.stateDir(), log });
    reports.attach((r) => ch.reportVip(r));
    const r1 = await reports.add(fields(true));
    await until('first report', () => seenVip('v2').length === 1);

    proxy.cut();
    await until('offline', () => !ch.connected());
    const r2 = await reports.add(fields(false, { reason: 'QuorumLost' }));
    const r3 = await reports.add(fields(true, { reason: 'HolderLost' }));
    await pause(300);
    expect(seenVip('v2').map((r) => r.seq)).toEqual([r1!.seq]);
    proxy.restore();
    await until('delivered after reconnect', () => seenVip('v2').some((r) => r.seq === r3!.seq));
    expect(seenVip('v2').map((r) => r.seq)).toEqual([r1!.seq, r2!.seq, r3!.seq]);
  });
});
