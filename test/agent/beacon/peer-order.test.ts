// Which address of a peer wins between pushed tables and beacons: with seqs on both sides the newest
// seq, in any arrival order; without (older control plane) the freshness rule of before.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  beaconMove,
  directedBroadcast,
  FRESH_MS,
  mergePushedTable,
  type PeerClaim,
  recordNewest,
} from '../../../src/agent/beacon/index.js';
import type { Observation, SeqClaim } from '../../../src/agent/beacon/peer-order.js';
import type { Peer } from '../../../src/domain/types.js';

const O = '100.64.192.3';
const at = (ip: string, seq?: number): Peer => ({
  hostId: 'b',
  underlayIp: ip,
  overlayIp: O,
  publicKey: 'KEY',
  ...(seq !== undefined ? { seq } : {}),
});
const claim = (ip: string, seq?: number): PeerClaim => ({
  hostId: 'b',
  underlayIp: ip,
  overlayIp: O,
  ...(seq !== undefined ? { seq } : {}),
});

/** A tiny model of the hook: what the host programs after each table or beacon, in arrival order. */
function run(events: ({ table: Peer } | { beacon: PeerClaim })[]): Peer | undefined {
  let peers: Peer[] = [];
  const newest = new Map<string, SeqClaim>();
  const observed = new Map<string, Observation>();
  let t = 0;
  for (const e of events) {
    t += 10_000; // far apart: freshness plays no part unless a test says so
    if ('table' in e) {
      peers = mergePushedTable([e.table], { newest, observed, nowMs: t }).peers;
      for (const p of peers) recordNewest(newest, p);
    } else {
      observed.set('b', { ...e.beacon, atMs: t });
      recordNewest(newest, e.beacon);
      peers = beaconMove(peers, e.beacon) ?? peers;
    }
  }
  return peers[0];
}

describe('peer order with seqs', () => {
  it('command then newer beacon: the beacon moves the peer', () => {
    expect(run([{ table: at('10.0.0.1', 5) }, { beacon: claim('10.0.0.2', 6) }])).toEqual(at('10.0.0.2', 6));
  });

  it('beacon then older command: the command does not move the peer back', () => {
    const end = run([
      { table: at('10.0.0.1', 5) },
      { beacon: claim('10.0.0.2', 6) },
      { table: at('10.0.0.1', 5) },
    ]);
    expect(end).toEqual(at('10.0.0.2', 6));
  });

  it('beacon before any table, then an older table: the table is corrected at once', () => {
    expect(run([{ beacon: claim('10.0.0.2', 6) }, { table: at('10.0.0.1', 5) }])).toEqual(at('10.0.0.2', 6));
  });

  it('newer command then older beacon: the beacon changes nothing', () => {
    expect(run([{ table: at('10.0.0.3', 7) }, { beacon: claim('10.0.0.2', 6) }])).toEqual(at('10.0.0.3', 7));
  });

  it('an older command after a newer one changes nothing', () => {
    expect(run([{ table: at('10.0.0.3', 7) }, { table: at('10.0.0.1', 5) }])).toEqual(at('10.0.0.3', 7));
  });

  it('a newer seq for the same address programs nothing, but outranks an older table later', () => {
    expect(beaconMove([at('10.0.0.1', 5)], claim('10.0.0.1', 9))).toBeNull();
    expect(
      run([{ table: at('10.0.0.1', 5) }, { beacon: claim('10.0.0.1', 9) }, { table: at('10.0.0.2', 8) }]),
    ).toEqual(at('10.0.0.1', 9));
  });

  it('whatever order tables and beacons arrive in, the host ends at the newest seq', () => {
    const seqArb = fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(seqArb, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (seqs, kinds) => {
        // every report seq s is address 10.0.<s>.1; the first table always comes first (membership)
        const ip = (s: number) => `10.0.${s}.1`;
        const events = seqs.map((s, i) => (kinds[i] ? { beacon: claim(ip(s), s) } : { table: at(ip(s), s) }));
        const first = Math.min(...seqs);
        const top = Math.max(...seqs);
        const end = run([{ table: at(ip(first), first) }, ...events]);
        expect(end?.underlayIp).toBe(ip(top));
        expect(end?.seq).toBe(top);
      }),
    );
  });
});

describe('peer order without seqs (older control plane)', () => {
  it('a beacon moves the peer, and a pushed table within FRESH_MS does not undo it; later it does', () => {
    const table = [at('10.0.0.1')];
    const moved = beaconMove(table, claim('10.0.0.2', 6));
    expect(moved).toEqual([at('10.0.0.2', 6)]);
    const observed = new Map([['b', { ...claim('10.0.0.2', 6), atMs: 1000 }]]);
    const held = { newest: new Map<string, SeqClaim>(), observed };
    expect(mergePushedTable(table, { ...held, nowMs: 1000 + FRESH_MS }).peers).toEqual([at('10.0.0.2', 6)]);
    expect(mergePushedTable(table, { ...held, nowMs: 1001 + FRESH_MS }).peers).toEqual(table);
  });

  it('a beacon without seq moves a peer held with seq, and a fresh one beats a seq table', () => {
    expect(beaconMove([at('10.0.0.1', 5)], claim('10.0.0.2'))).toEqual([at('10.0.0.2')]);
    const observed = new Map([['b', { ...claim('10.0.0.2'), atMs: 0 }]]);
    const merged = mergePushedTable([at('10.0.0.1', 5)], { newest: new Map(), observed, nowMs: 10 });
    expect(merged).toEqual({ peers: [at('10.0.0.2')], corrected: ['b'] });
  });

  it('beacons move only listed peers with the same overlay IP', () => {
    const table = [at('10.0.0.1', 5)];
    expect(beaconMove(table, { ...claim('10.0.0.2', 6), hostId: 'c' })).toBeNull();
    expect(beaconMove(table, { ...claim('10.0.0.2', 6), overlayIp: '100.64.192.9' })).toBeNull();
    expect(beaconMove(table, claim('10.0.0.1'))).toBeNull();
  });
});

describe('directed broadcast', () => {
  it('is the last address of the subnet', () => {
    expect(directedBroadcast('10.213.0.101', 24)).toBe('10.213.0.255');
    expect(directedBroadcast('10.213.7.9', 16)).toBe('10.213.255.255');
    expect(directedBroadcast('192.168.1.130', 25)).toBe('192.168.1.255');
    expect(directedBroadcast('192.168.1.10', 25)).toBe('192.168.1.127');
    expect(directedBroadcast('10.0.0.1', 32)).toBe('255.255.255.255');
  });
});
