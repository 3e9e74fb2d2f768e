// The agent applies a pushed table through its queues (peer-version guard, beacon hook) WITHOUT the probe
// and probes after, outside them (src/agent/probe-after-apply.ts): a probe that waits for a silent peer
// must not hold the next table, or the beacon's move of that very peer, behind it.
import { describe, expect, it } from 'vitest';
import type {
  HostActivities,
  ProbePeersResult,
  SetPeersInput,
  SetPeersResult,
} from '../../src/activities/host/contract.js';
import { guardPeerVersions } from '../../src/agent/peer-version.js';
import { probeAfterApply } from '../../src/agent/probe-after-apply.js';
import type { Peer } from '../../src/domain/types.js';
import { testSpec } from '../fixtures/overlay-spec.js';

const spec = testSpec({ clusterName: 'probes' });
const peer = (n: number): Peer => ({
  hostId: `h${n}`,
  overlayIp: `100.64.0.${n + 1}`,
  underlayIp: `10.0.0.${n}`,
});
const peers = [peer(1), peer(2), peer(3)];

/** A host whose probe waits until the test opens it (a peer that does not answer). */
function fakeHost() {
  let open = () => {};
  const probeGate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const log: string[] = [];
  const applied: SetPeersInput[] = [];
  const host = {
    log,
    applied,
    openProbe: () => open(),
    probeTargets: [] as string[][],
    activities: {
      setPeers: async (input: SetPeersInput): Promise<SetPeersResult> => {
        applied.push(input);
        log.push(`apply ${input.version}`);
        return { added: input.peers.length, removed: 0 };
      },
      probePeers: async ({ targets }: { targets: string[] }): Promise<ProbePeersResult> => {
        host.probeTargets.push(targets);
        log.push('probe start');
        await probeGate;
        log.push('probe end');
        return { reachable: targets.slice(1), unreachable: targets.slice(0, 1), sent: 4, lost: 3 };
      },
    } as unknown as HostActivities,
  };
  return host;
}

describe('probe after apply', () => {
  it('probes the peers other than this host once the table is applied, and answers both', async () => {
    const host = fakeHost();
    const a = probeAfterApply(guardPeerVersions(host.activities), 'h1');
    const pushed = a.setPeers({ spec, peers, version: 1, probe: true });
    await new Promise((r) => setTimeout(r, 10));
    expect(host.log).toEqual(['apply 1', 'probe start']);
    expect(host.applied[0]).not.toHaveProperty('probe');
    expect(host.probeTargets).toEqual([['100.64.0.3', '100.64.0.4']]);
    host.openProbe();
    expect(await pushed).toMatchObject({
      added: 3,
      probe: { unreachable: ['100.64.0.3'], reachable: ['100.64.0.4'] },
    });
  });

  it('the next table is applied while the probe of the previous one still waits', async () => {
    const host = fakeHost();
    const a = probeAfterApply(guardPeerVersions(host.activities), 'h1');
    const first = a.setPeers({ spec, peers, version: 1, probe: true });
    await new Promise((r) => setTimeout(r, 10));
    // As a beacon move or the next push would: a table without a probe, through the same queue.
    const second = await a.setPeers({ spec, peers: peers.slice(0, 2), version: 2 });
    expect(second).toMatchObject({ added: 2 });
    expect(host.log).toEqual(['apply 1', 'probe start', 'apply 2']);
    host.openProbe();
    await first;
    expect(host.log.at(-1)).toBe('probe end');
  });

  it('a stale table is not probed; a table without the flag goes through as is', async () => {
    const host = fakeHost();
    const a = probeAfterApply(guardPeerVersions(host.activities), 'h1');
    await a.setPeers({ spec, peers, version: 5 });
    expect(await a.setPeers({ spec, peers, version: 4, probe: true })).toMatchObject({ stale: true });
    expect(host.probeTargets).toEqual([]);
    expect(host.log).toEqual(['apply 5']);
    // No input at all goes to the apply as is (which refuses it), not into a TypeError here.
    await probeAfterApply(host.activities, 'h1')
      .setPeers(undefined as unknown as SetPeersInput)
      .catch(() => undefined);
    expect(host.applied.at(-1)).toBeUndefined();
  });
});
