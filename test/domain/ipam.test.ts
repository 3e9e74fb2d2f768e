import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  createIpam,
  freeCount,
  type IpamState,
  IpamExhaustedError,
  release,
} from '../../src/domain/ipam.js';

describe('IPAM', () => {
  it('gives the VIP the first usable address and hosts the following ones in hostId order', () => {
    const s = allocate(createIpam('100.64.192.0/24'), ['c', 'a', 'b']);
    expect(s.vip).toBe('100.64.192.1');
    expect(s.allocations).toEqual({ a: '100.64.192.2', b: '100.64.192.3', c: '100.64.192.4' });
  });

  it('keeps existing allocations and never reuses a released address for another host', () => {
    let s = allocate(createIpam('100.64.192.0/24'), ['a', 'b']);
    s = release(s, 'a');
    s = allocate(s, ['c']);
    expect(s.allocations).toEqual({ b: '100.64.192.3', c: '100.64.192.4' });
    s = allocate(s, ['a']);
    expect(s.allocations.a).toBe('100.64.192.2'); // the same host gets its old address back
  });

  it('fails when the range is exhausted', () => {
    const s = allocate(createIpam('100.64.192.0/29'), ['a', 'b', 'c', 'd', 'e']); // 6 usable: VIP + 5
    expect(freeCount(s)).toBe(0);
    expect(() => allocate(s, ['f'])).toThrow(IpamExhaustedError);
    expect(() => createIpam('100.64.192.0/31')).toThrow(IpamExhaustedError);
  });

  type Op =
    | { kind: 'join'; ids: string[] }
    | { kind: 'leave'; id: string }
    | { kind: 'underlay'; id: string };
  const hostId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('join' as const), ids: fc.array(hostId, { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('leave' as const), id: hostId }),
    fc.record({ kind: fc.constant('underlay' as const), id: hostId }),
  );

  const apply = (s: IpamState, o: Op): IpamState =>
    o.kind === 'join' ? allocate(s, o.ids) : o.kind === 'leave' ? release(s, o.id) : s; // underlay: IPAM untouched

  it('property: no two hosts share an address, the VIP is never a host address, allocations never move', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let s = createIpam('100.64.192.0/26');
        const everSeen = new Map<string, string>(); // address → first owner
        for (const o of ops) {
          const before = { ...s.allocations };
          s = apply(s, o);
          const ips = Object.values(s.allocations);
          expect(new Set(ips).size).toBe(ips.length);
          expect(ips).not.toContain(s.vip);
          for (const [id, ip] of Object.entries(before))
            if (s.allocations[id] !== undefined) expect(s.allocations[id]).toBe(ip);
          for (const [id, ip] of Object.entries(s.allocations)) {
            const owner = everSeen.get(ip);
            if (owner !== undefined) expect(owner).toBe(id); // never handed to another host
            everSeen.set(ip, id);
          }
        }
      }),
    );
  });

  it('property: the outcome of one batch does not depend on request order', () => {
    const idsAndPermutation = fc
      .uniqueArray(hostId, { minLength: 1 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
        ),
      );
    fc.assert(
      fc.property(idsAndPermutation, ([ids, permuted]) => {
        expect(allocate(createIpam('100.64.192.0/24'), ids)).toEqual(
          allocate(createIpam('100.64.192.0/24'), permuted),
        );
      }),
    );
  });
});
