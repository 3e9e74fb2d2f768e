// Bounded state (issue 11, point 5): at 1000 hosts the continue-as-new input, the status view and the event
// log each stay under 256 KB, and the compact form round-trips every overlay IP, digest and state.
import { describe, expect, it } from 'vitest';
import { computeConditions } from '../../src/domain/cluster-status.js';
import {
  type ClusterSnapshot,
  clusterView,
  decodeSnapshot,
  encodeSnapshot,
} from '../../src/domain/cluster-snapshot.js';
import { DEFAULT_CLUSTER_OPTIONS } from '../../src/domain/cluster-options.js';
import { appendEvent, makeEvent, summarizeIds } from '../../src/domain/event-log.js';
import { allocate, createIpam } from '../../src/domain/ipam.js';
import { desiredDigests, peerTableDigest } from '../../src/domain/peer-digest.js';
import { desiredPeers, peeringSet } from '../../src/domain/peer-plan.js';
import type { DomainEvent, HostState } from '../../src/domain/types.js';

const LIMIT = 256 * 1024;
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** A worst-case-ish 1000-host cluster: long ids, every host with an address, digest and lastSeen. */
function bigCluster(n = 1000): ClusterSnapshot {
  const ids = Array.from({ length: n }, (_, i) => `edge-host-${String(i).padStart(4, '0')}-shop-floor-a`);
  const ipam = allocate(createIpam('100.64.0.0/20'), ids);
  const states: HostState[] = ['Joined', 'Joining', 'Lost', 'Failed'];
  const hosts = ids.map((hostId, i) => ({
    hostId,
    role: i < 3 ? ('control-plane' as const) : ('worker' as const),
    overlayIp: ipam.allocations[hostId]!,
    underlayIp: `10.${Math.floor(i / 250)}.${i % 250}.${(i * 7) % 250}`,
    state: states[i % 37 === 0 ? 1 + (i % 3) : 0]!,
    lastSeen: '2026-11-29T20:00:00.000Z',
    claimed: true,
    // v2: every address carries the sequence of the report it came from (wall-clock ms: the worst case)
    underlaySeq: 1_764_400_000_000 + i,
  }));
  let events: DomainEvent[] = [];
  // A busy history: renumbering rounds that name many hosts.
  for (let seq = 1; seq <= 3000; seq++) {
    const data = { trigger: 'UnderlayChanged', pushedTo: summarizeIds(ids), failed: {}, durationMs: 12 };
    events = appendEvent(events, makeEvent(seq, '2026-11-29T20:00:00.000Z', 'OverlayReconciled', data), {
      ...DEFAULT_CLUSTER_OPTIONS,
    });
  }
  const snapshot: ClusterSnapshot = {
    spec: {
      clusterName: 'big',
      overlayCidr: '100.64.0.0/20',
      prefixLength: 20,
      vni: 100,
      mode: 'unicast',
      port: 4789,
      vip: ipam.vip,
    },
    options: { ...DEFAULT_CLUSTER_OPTIONS },
    ipam,
    hosts,
    vipHolder: ids[0]!,
    conditions: [],
    events,
    nextSeq: 3001,
    appliedDigest: desiredDigests(peeringSet(hosts)),
    pendingUnderlay: { [ids[5]!]: '10.9.9.9' },
    reconcileFailures: ids.slice(0, 40),
    deleting: false,
    initialized: true,
    phase: 'Degraded',
  };
  snapshot.conditions = computeConditions(
    { ...snapshot, reconciling: false, stalled: ids.slice(100, 200) },
    [],
    '2026-11-29T20:00:00.000Z',
  );
  return snapshot;
}

describe('bounded cluster state at 1000 hosts', () => {
  const s = bigCluster();

  it('continue-as-new input, status view and event log each stay under 256 KB', () => {
    const carried = encodeSnapshot(s);
    const view = clusterView(s);
    const sizes = { carried: bytes(carried), view: bytes(view), events: bytes(s.events) };
    console.log(JSON.stringify({ metric: 'state-bytes-1000-hosts', ...sizes }));
    expect(sizes.carried).toBeLessThan(LIMIT);
    expect(sizes.view).toBeLessThan(LIMIT);
    expect(sizes.events).toBeLessThanOrEqual(DEFAULT_CLUSTER_OPTIONS.maxEventBytes);
    for (const c of s.conditions) expect(c.message.length).toBeLessThan(1000);
  });

  it('round-trips through the compact form: hosts, overlay IPs, digests, IPAM', () => {
    const back = decodeSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(s))));
    expect(back.hosts).toEqual(s.hosts);
    expect(back.appliedDigest).toEqual(s.appliedDigest);
    expect(back.ipam.allocations).toEqual(s.ipam.allocations);
    expect(back.ipam.vip).toBe(s.ipam.vip);
    expect(back.events).toEqual(s.events);
    expect(back.pendingUnderlay).toEqual(s.pendingUnderlay);
  });

  it('reads the continue-as-new input of runs before it (full peer tables) as digests', () => {
    const small = bigCluster(5);
    const { appliedDigest: _d, ...rest } = small;
    const appliedPeers = Object.fromEntries(
      small.hosts.map((h) => [h.hostId, desiredPeers(small.hosts, h.hostId)]),
    );
    const back = decodeSnapshot({ ...rest, appliedPeers });
    for (const h of small.hosts) {
      expect(back.appliedDigest[h.hostId]).toBe(peerTableDigest(desiredPeers(small.hosts, h.hostId)));
    }
  });

  it("carries the phase rule's facts, and reads a snapshot from before 'phase-settled' without them", () => {
    const small = bigCluster(3);
    const carried = encodeSnapshot(small);
    expect(carried).not.toHaveProperty('phaseSettled');
    expect(decodeSnapshot(JSON.parse(JSON.stringify(carried)))).not.toHaveProperty('phaseSettled');
    const settled = { ...small, phaseSettled: { holderSeen: true, wasReady: false, handover: true } };
    const back = decodeSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(settled))));
    expect(back.phaseSettled).toEqual({ holderSeen: true, wasReady: false, handover: true });
    // carried before the handover fact: no release recorded
    const before = decodeSnapshot({ ...carried, phaseSettled: { holderSeen: true, wasReady: true } });
    expect(before.phaseSettled).toEqual({ holderSeen: true, wasReady: true, handover: false });
    expect(() => decodeSnapshot({ ...carried, phaseSettled: { holderSeen: 'yes' } })).toThrow();
  });

  it('refuses hostile input', () => {
    const carried = encodeSnapshot(bigCluster(3));
    expect(() => decodeSnapshot({ ...carried, hosts: [['x', 'worker', '999.0.0.1']] })).toThrow();
    expect(() => decodeSnapshot({ ...carried, vipHolder: '../etc' })).toThrow();
    expect(() => decodeSnapshot('junk')).toThrow();
  });
});

describe('peer digests', () => {
  it("a host's desired digest equals the digest of its own table, independent of order", () => {
    const hosts = bigCluster(50).hosts;
    const digests = desiredDigests(peeringSet(hosts));
    for (const h of hosts.filter((x) => digests[x.hostId] !== undefined)) {
      const table = desiredPeers(hosts, h.hostId);
      expect(digests[h.hostId]).toBe(peerTableDigest(table));
      expect(peerTableDigest([...table].reverse())).toBe(digests[h.hostId]);
    }
  });

  it('changes when any peer entry changes', () => {
    const table = desiredPeers(bigCluster(10).hosts, 'nobody');
    const base = peerTableDigest(table);
    expect(peerTableDigest(table.slice(1))).not.toBe(base);
    const moved = table.map((p, i) => (i === 3 ? { ...p, underlayIp: '10.200.0.1' } : p));
    expect(peerTableDigest(moved)).not.toBe(base);
  });
});
