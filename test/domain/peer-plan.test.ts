import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  desiredPeers,
  diffPeers,
  hostsNeedingPeers,
  type PlanHost,
  planPeerTables,
} from '../../src/domain/peer-plan.js';

const host = (hostId: string, n: number, state: PlanHost['state'] = 'Joined', underlay = true): PlanHost => ({
  hostId,
  overlayIp: `100.64.192.${n}`,
  underlayIp: underlay ? `10.213.0.${n}` : null,
  state,
});

describe('peer planning', () => {
  it('gives every peering host all other peering hosts, sorted', () => {
    const hosts = [
      host('c', 4),
      host('a', 2),
      host('b', 3, 'Failed'),
      host('d', 5, 'Lost'),
      host('e', 6, 'Pending'),
    ];
    const plan = planPeerTables(hosts);
    expect(Object.keys(plan).sort()).toEqual(['a', 'c', 'd']);
    expect(plan.a).toEqual([
      { hostId: 'c', underlayIp: '10.213.0.4', overlayIp: '100.64.192.4' },
      { hostId: 'd', underlayIp: '10.213.0.5', overlayIp: '100.64.192.5' },
    ]);
    expect(desiredPeers([host('a', 2), host('x', 9, 'Joined', false)], 'a')).toEqual([]);
  });

  it('diffs applied against desired', () => {
    const p = (id: string, u: string) => ({ hostId: id, underlayIp: u, overlayIp: `o-${id}` });
    expect(diffPeers([p('a', '1'), p('b', '2')], [p('a', '1'), p('b', '3'), p('c', '4')])).toEqual({
      add: [p('b', '3'), p('c', '4')],
      remove: [p('b', '2')],
    });
  });

  it('a renumbered host changes every other table and not its own', () => {
    const hosts = [host('a', 2), host('b', 3), host('c', 4)];
    const applied = planPeerTables(hosts);
    const moved = hosts.map((h) => (h.hostId === 'b' ? { ...h, underlayIp: '10.213.9.9' } : h));
    expect(hostsNeedingPeers(applied, planPeerTables(moved))).toEqual(['a', 'c']);
  });

  it('property: tables never include the host itself and are symmetric', () => {
    const arb = fc
      .uniqueArray(fc.integer({ min: 2, max: 60 }), { maxLength: 12 })
      .map((ns) => ns.map((n, i) => host(`h${n}`, n, i % 4 === 0 ? 'Failed' : 'Joined')));
    fc.assert(
      fc.property(arb, (hosts) => {
        const plan = planPeerTables(hosts);
        for (const [id, peers] of Object.entries(plan)) {
          expect(peers.some((p) => p.hostId === id)).toBe(false);
          for (const p of peers) expect(plan[p.hostId]?.some((q) => q.hostId === id)).toBe(true);
        }
      }),
    );
  });
});
