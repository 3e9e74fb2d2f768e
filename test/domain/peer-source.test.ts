// Peer tables by reference (domain/peer-source.ts): the source a relay cuts tables from is O(N) and fits a
// query answer at 1000 hosts; a table cut from it is exactly the table the workflow's digests describe.
import { describe, expect, it } from 'vitest';
import { desiredDigests, peerTableDigest } from '../../src/domain/peer-digest.js';
import type { PlanHost } from '../../src/domain/peer-plan.js';
import { desiredPeers, peeringSet } from '../../src/domain/peer-plan.js';
import {
  peerSourceOf,
  peerTableRefSchema,
  peerTableSourceSchema,
  tableFromSource,
} from '../../src/domain/peer-source.js';

const host = (i: number, state: PlanHost['state'] = 'Joined'): PlanHost => ({
  hostId: `site-042-edge-host-${String(i).padStart(4, '0')}`,
  overlayIp: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
  underlayIp: `172.16.${(i >> 8) & 255}.${i & 255}`,
  state,
  underlaySeq: 1_000_000 + i,
});

describe('peer table source', () => {
  it('at 1000 hosts: one O(N) answer under 256 KB, every table and digest as the workflow plans it', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => host(i + 1, i % 10 === 0 ? 'Joining' : 'Joined'));
    const source = peerSourceOf(hosts);
    expect(JSON.stringify(source).length).toBeLessThan(256 * 1024);
    expect(source.peers).toHaveLength(1000);
    expect(source.joined).toHaveLength(900);
    expect(peerTableSourceSchema.parse(source)).toEqual(source);
    const digests = desiredDigests(peeringSet(hosts));
    for (const h of [hosts[0]!, hosts[1]!, hosts[999]!]) {
      const table = tableFromSource(source, h.hostId);
      expect(table).toEqual(desiredPeers(hosts, h.hostId));
      expect(peerTableDigest(table)).toBe(digests[h.hostId]);
    }
  });

  it('a joining host is cut only the Joined peers; the digest names the version', () => {
    const hosts = [host(1), host(2), host(3, 'Joining'), host(4, 'Pending'), host(5, 'Lost')];
    const source = peerSourceOf(hosts);
    expect(tableFromSource(source, hosts[2]!.hostId, 'Joined').map((p) => p.hostId)).toEqual([
      hosts[0]!.hostId,
      hosts[1]!.hostId,
    ]);
    // Lost hosts stay peers (they may only have lost the control plane); Pending ones are not yet
    expect(tableFromSource(source, hosts[0]!.hostId).map((p) => p.hostId)).toEqual(
      [hosts[1]!, hosts[2]!, hosts[4]!].map((h) => h.hostId),
    );
    const moved = peerSourceOf([{ ...hosts[0]!, underlayIp: '172.16.9.9' }, ...hosts.slice(1)]);
    expect(moved.digest).not.toBe(source.digest);
  });

  it('refuses a reference that is not one', () => {
    const ok = { workflowId: 'cluster/a', digest: peerSourceOf([host(1)]).digest };
    expect(peerTableRefSchema.safeParse(ok).success).toBe(true);
    expect(peerTableRefSchema.safeParse({ ...ok, only: 'Joined' }).success).toBe(true);
    for (const bad of [
      { ...ok, digest: 'x' },
      { ...ok, workflowId: '' },
      { ...ok, only: 'Lost' },
      { digest: ok.digest },
      'cluster/a',
    ]) {
      expect(peerTableRefSchema.safeParse(bad).success).toBe(false);
    }
  });
});
