import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  cidrsOverlap,
  formatIpv4,
  overlayCidrProblems,
  parseCidr,
  parseIpv4,
  usableCount,
} from '../../src/domain/cidr.js';

describe('IPv4 parsing', () => {
  it.each([
    ['0.0.0.0', 0],
    ['10.213.0.1', 0x0ad50001],
    ['255.255.255.255', 0xffffffff],
    ['100.64.192.1', 0x6440c001],
  ])('parses %s', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
  });

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '', ' 1.2.3.4'])(
    'rejects %j',
    (text) => {
      expect(() => parseIpv4(text)).toThrow(/dotted-quad/);
    },
  );

  it('round-trips every 32-bit number', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => parseIpv4(formatIpv4(n)) === n));
  });
});

describe('CIDR parsing', () => {
  it.each([
    ['100.64.192.0/24', 0x6440c000, 24, 254],
    ['10.0.0.0/8', 0x0a000000, 8, 2 ** 24 - 2],
    ['100.64.192.0/30', 0x6440c000, 30, 2],
    ['100.64.192.4/31', 0x6440c004, 31, 0],
  ])('parses %s', (text, network, prefix, usable) => {
    const c = parseCidr(text);
    expect(c).toEqual({ network, prefix });
    expect(usableCount(c)).toBe(usable);
  });

  it.each([
    ['100.64.192.1/24', /host bits set \(did you mean 100.64.192.0\/24\?\)/],
    ['100.64.192.0', /missing \/prefix/],
    ['100.64.192.0/33', /over 32/],
    ['100.64.192.0/x', /invalid prefix/],
  ])('rejects %s', (text, message) => {
    expect(() => parseCidr(text)).toThrow(message);
  });

  it('contains and overlaps agree with the arithmetic', () => {
    const a = parseCidr('100.64.192.0/24');
    expect(cidrContains(a, parseIpv4('100.64.192.255'))).toBe(true);
    expect(cidrContains(a, parseIpv4('100.64.193.0'))).toBe(false);
    expect(cidrsOverlap(a, parseCidr('100.64.0.0/16'))).toBe(true);
    expect(cidrsOverlap(a, parseCidr('100.64.193.0/24'))).toBe(false);
  });
});

describe('overlayCidrProblems', () => {
  it.each([
    [{ cidr: '100.64.192.0/24', hostCount: 253 }, []],
    [{ cidr: '100.64.192.0/24', hostCount: 254 }, [/254 usable addresses; 255 needed/]],
    [{ cidr: '100.64.192.0/30', hostCount: 1 }, []],
    [{ cidr: '100.64.192.0/30', hostCount: 2 }, [/2 usable addresses; 3 needed/]],
    [{ cidr: '100.64.192.1/24', hostCount: 1 }, [/host bits set/]],
    [
      { cidr: '10.213.0.0/16', hostCount: 1, underlay: ['10.213.4.20'] },
      [/overlaps the underlay 10.213.4.20/],
    ],
    [
      { cidr: '100.64.192.0/24', hostCount: 1, underlay: ['100.64.0.0/10'] },
      [/overlaps the underlay 100.64.0.0\/10/],
    ],
    [{ cidr: '100.64.192.0/24', hostCount: 1, underlay: ['10.213.0.0/16', '10.213.0.5'] }, []],
  ])('%j → %j', (check, expected) => {
    const problems = overlayCidrProblems(check);
    expect(problems).toHaveLength(expected.length);
    for (const [i, re] of expected.entries()) expect(problems[i]).toMatch(re);
  });
});
