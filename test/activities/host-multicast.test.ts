// Multicast mode on the kernel: group address, learning, no peer table; learned entries flushed on demand.
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { flushLearned } from '../../src/activities/host/index.js';
import { checkHostOptions } from '../../src/activities/host/deps.js';
import type { OverlaySpec, Peer } from '../../src/domain/types.js';
import { processRunner } from '../../src/net/index.js';
import { createLab, kernelSnapshot, notRoot, type Lab } from '../helpers/netns-lab.js';
import { labHostActivities } from '../helpers/lab-activities.js';

const spec: OverlaySpec = {
  clusterName: 'mc',
  overlayCidr: '100.64.193.0/24',
  prefixLength: 24,
  vni: 200,
  mode: 'multicast',
  port: 4789,
  group: '239.1.1.7',
  vip: '100.64.193.1',
};
const log = pino({ level: 'silent' });

describe.skipIf(notRoot('host activities, multicast mode'))(
  'host activities on the kernel (multicast)',
  () => {
    let lab: Lab;
    let acts: HostActivities[];

    beforeAll(async () => {
      lab = await createLab({ hosts: 2 });
      acts = labHostActivities(lab, log);
    });
    afterAll(() => lab?.cleanup());

    it('builds vxlan200 with the group and learning, needs no peer table, and carries traffic', async () => {
      for (const [i, a] of acts.entries()) await a.applyOverlay({ spec, overlayIp: `100.64.193.${11 + i}` });
      const { stdout } = await execa('ip', [
        '-n',
        lab.hosts[0]!.ns,
        '-j',
        '-d',
        'link',
        'show',
        'dev',
        'vxlan200',
      ]);
      expect(JSON.parse(stdout)[0].linkinfo.info_data).toMatchObject({
        id: 200,
        group: '239.1.1.7',
        learning: true,
      });
      const peers: Peer[] = lab.hosts.map((h, i) => ({
        hostId: h.name,
        underlayIp: h.underlayIp,
        overlayIp: `100.64.193.${11 + i}`,
      }));
      const before = await kernelSnapshot(lab.hosts[0]!.ns);
      expect(await acts[0]!.setPeers({ spec, peers })).toMatchObject({ added: 0, removed: 0 });
      expect(await kernelSnapshot(lab.hosts[0]!.ns)).toEqual(before);
      expect(await acts[0]!.probePeers({ targets: ['100.64.193.12'], count: 2 })).toMatchObject({ lost: 0 });
    });

    it('flushLearned drops the learned VTEP entries and keeps the group entry', async () => {
      const ns = lab.hosts[0]!.ns;
      const fdb = async () =>
        JSON.parse(
          (await execa('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', 'vxlan200'])).stdout,
        ) as Array<{
          mac: string;
          dst?: string;
          state?: string;
        }>;
      expect((await fdb()).some((e) => e.dst === lab.hosts[1]!.underlayIp)).toBe(true);
      // Quiesce the peer first: its overlay device keeps sending (IPv6 ND/MLD) and each packet re-learns
      // its entry, so a second flush could find one again. With the peer silent, both counts are exact.
      await execa('ip', ['-n', lab.hosts[1]!.ns, 'link', 'set', 'vxlan200', 'down']);
      const deps = checkHostOptions({
        hostId: 'h1',
        underlayIface: 'eth0',
        netns: ns,
        runner: processRunner,
        log,
      });
      expect(await flushLearned(deps, spec)).toBeGreaterThan(0);
      const after = await fdb();
      expect(after.some((e) => e.dst === lab.hosts[1]!.underlayIp)).toBe(false);
      expect(after.some((e) => e.mac === '00:00:00:00:00:00' && e.dst === '239.1.1.7')).toBe(true);
      expect(await flushLearned(deps, spec)).toBe(0);
    });
  },
);
