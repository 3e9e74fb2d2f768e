// The host's reset on the real kernel (a namespace made here): every overlay device goes, whether a spec
// knows of it or not (a leftover vxlan device of another VNI included), nothing else is touched, and a
// second reset changes nothing.
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { createHostActivities } from '../../src/activities/host/index.js';
import { processRunner } from '../../src/net/index.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';

const links = async (ns: string): Promise<string[]> =>
  (JSON.parse((await execa('ip', ['-n', ns, '-j', 'link', 'show'])).stdout) as Array<{ ifname: string }>)
    .map((l) => l.ifname)
    .sort();

describe.skipIf(notRoot('host reset on the kernel'))('host reset (netns)', () => {
  let lab: Lab;
  let acts: HostActivities;
  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    const h = lab.hosts[0]!;
    acts = createHostActivities({
      hostId: h.name,
      underlayIface: h.iface,
      netns: h.ns,
      runner: processRunner,
      log: pino({ level: 'silent' }),
    });
  });
  afterAll(() => lab?.cleanup());

  it('deletes the overlay bridge and every vxlan device, known or not; again: nothing to do', async () => {
    const ns = lab.hosts[0]!.ns;
    const before = await links(ns);
    await acts.applyOverlay({ spec: testSpec(), overlayIp: '100.64.192.2' });
    // a stranded device of another cluster's VNI, detached, that no spec here names
    await execa('ip', [
      '-n',
      ns,
      'link',
      'add',
      'vxlan200',
      'type',
      'vxlan',
      'id',
      '200',
      'dstport',
      '4789',
      'nolearning',
    ]);
    expect(await links(ns)).toEqual([...before, 'scbr-100', 'vxlan100', 'vxlan200'].sort());

    const first = await acts.reset({ reason: 'test' });
    expect(first.changed).toBe(true);
    expect(first.removed.sort()).toEqual(['scbr-100', 'vxlan100', 'vxlan200']);
    expect(await links(ns)).toEqual(before);

    expect(await acts.reset({})).toEqual({ changed: false, removed: [] });
  });

  it('refuses a hostile input before touching anything', async () => {
    await expect(acts.reset({ reason: 'x'.repeat(500) })).rejects.toThrow(/reason/);
  });
});
