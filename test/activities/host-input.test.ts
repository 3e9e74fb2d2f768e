// Hostile or malformed input is rejected before any command runs (a recording runner proves nothing ran).
import { HostError } from '../../src/domain/host-error.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHostActivities } from '../../src/activities/host/index.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { recordingRunner } from '../helpers/netns-lab.js';

const log = pino({ level: 'silent' });
const spec = testSpec();

async function rejection(p: Promise<unknown>): Promise<HostError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HostError);
  return err as HostError;
}

describe('host activities refuse hostile input before running anything', () => {
  it.each([
    ['host id with a shell metacharacter', { hostId: 'h1;reboot', underlayIface: 'eth0' }],
    ['upper-case host id', { hostId: 'H1', underlayIface: 'eth0' }],
    ['interface name with a space', { hostId: 'h1', underlayIface: 'eth0 up' }],
    ['interface name longer than 15', { hostId: 'h1', underlayIface: 'a'.repeat(16) }],
    ['interface name that is an option', { hostId: 'h1', underlayIface: '-all' }],
    ['netns name with a slash', { hostId: 'h1', underlayIface: 'eth0', netns: '../x' }],
  ])('factory rejects a %s', (_what, opts) => {
    const rec = recordingRunner();
    let err: unknown;
    try {
      createHostActivities({ ...opts, runner: rec, log });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).type).toBe('InvalidInput');
    expect((err as HostError).nonRetryable).toBe(true);
    expect(rec.calls).toEqual([]);
  });

  it('activities reject malformed specs, addresses and peers as non-retryable InvalidInput', async () => {
    const rec = recordingRunner();
    const a = createHostActivities({ hostId: 'h1', underlayIface: 'eth0', runner: rec, log });
    const bad = [
      a.applyOverlay({ spec, overlayIp: '100.64.192.10; ip link del eth0' }),
      a.applyOverlay({ spec: { ...spec, vni: 0 }, overlayIp: '100.64.192.10' }),
      a.applyOverlay({ spec: { ...spec, prefixLength: 16 }, overlayIp: '100.64.192.10' }),
      a.applyOverlay({ spec, overlayIp: spec.vip }),
      a.setPeers({
        spec,
        peers: [{ hostId: 'h2', underlayIp: '10.0.0.1\nfdb flush dev eth0', overlayIp: '100.64.192.11' }],
      }),
      a.setPeers({ spec: { ...spec, mode: 'broadcast' as 'unicast' }, peers: [] }),
      a.assignVip({ spec: { ...spec, vip: '100.64.192.1/24' } }),
      a.releaseVip({ spec: { ...spec, clusterName: '../etc' } }),
      a.probePeers({ targets: ['-f'] }),
      a.probePeers({ targets: ['100.64.192.11'], count: 10_000 }),
      a.teardown({ spec: { ...spec, group: 'all' } }),
    ];
    for (const p of bad) {
      const err = await rejection(p);
      expect(err.type).toBe('InvalidInput');
      expect(err.nonRetryable).toBe(true);
    }
    expect(rec.calls).toEqual([]);
  });

  it('a failing command becomes a retryable HostCommandFailed carrying argv, exit code and stderr', async () => {
    const failing = recordingRunner({
      run: async (file, args) => {
        const { CommandError } = await import('../../src/net/runner.js');
        throw new CommandError([file, ...args], 2, 'RTNETLINK answers: Operation not permitted');
      },
      spawnLines: () => ({ pid: undefined, done: Promise.resolve(), stop: async () => undefined }),
    });
    const a = createHostActivities({ hostId: 'h1', underlayIface: 'eth0', runner: failing, log });
    const err = await rejection(a.teardown({ spec }));
    expect(err.type).toBe('HostCommandFailed');
    expect(err.nonRetryable).toBe(false);
    expect(err.details?.[0]).toMatchObject({
      exitCode: 2,
      stderr: 'RTNETLINK answers: Operation not permitted',
    });
    expect(failing.calls[0]).toEqual({ file: 'ip', args: ['-j', '-d', 'link', 'show', 'dev', 'vxlan100'] });
  });
});
