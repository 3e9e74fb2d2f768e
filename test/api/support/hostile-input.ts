// Generators of hostile input for the API fuzz tests (fast-check arbitraries), split from fuzz.test.ts.
import fc from 'fast-check';
import { cidrSchema, hostIdSchema, ifaceNameSchema, ipv4Schema } from '../../../src/domain/validation.js';

export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

export const hostile = fc.constantFrom(
  '; rm -rf /',
  '$(reboot)',
  '`id`',
  'a|b',
  'a&&b',
  'h1\nh2',
  'h1 h2',
  '../../etc/passwd',
  '..',
  '.',
  'a/b',
  'a\\b',
  'a\u0000b',
  'ｈ1',
  'H1',
  '-h1',
  'h1-',
  'a'.repeat(64),
  'a'.repeat(5000),
  '',
  ' ',
  '%2e%2e%2f',
  '$' + '{IFS}',
  "'; DROP TABLE hosts;--",
  '<script>alert(1)</script>',
  'vxlan100:1',
  'eth0.100@x',
);
export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
export const anyString = fc.oneof(
  hostile,
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
/** Random strings can happen to be valid: keep only those the field's schema rejects. */
export const badString = anyString.filter((s) => !hostIdSchema.safeParse(s).success);
export const badIp = anyString.filter((s) => !ipv4Schema.safeParse(s).success);
export const badEnum = anyString.filter(
  (s) => !['unicast', 'multicast', 'control-plane', 'worker'].includes(s),
);

export const octet = fc.integer({ min: 0, max: 255 });
export const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
export const badCidr = fc.oneof(
  anyString.filter((s) => !cidrSchema.safeParse(s).success),
  fc.tuple(ip, fc.integer({ min: 33, max: 999 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.integer({ min: 256, max: 9999 }), octet).map(([a, b]) => `${a}.${b}.0.0/16`),
  fc.integer({ min: 1, max: 255 }).map((h) => `100.64.192.${h}/24`), // host bits set
  fc.integer({ min: 31, max: 32 }).map((p) => `100.64.192.0/${p}`), // no room for VIP + host
  fc.constantFrom('127.0.0.0/8', '224.0.0.0/4', '239.1.0.0/16', '169.254.0.0/16', '0.0.0.0/0', '240.0.0.0/8'),
  fc.constantFrom('100.064.0.0/24', '100.64.0.0/24 ', ' 100.64.0.0/24', '100.64.0.0/024', '::1/128', '10/8'),
);
export const badVni = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 16_777_216 }),
  fc.double({ noInteger: true }),
  fc.string(),
  fc.constant(null),
);

export const validHost = fc.record({
  hostId: fc.stringMatching(/^fzh[a-z0-9]{1,8}$/),
  role: fc.constantFrom('control-plane', 'worker'),
});
export const validBase = fc.record({
  name: fc.stringMatching(/^fz[a-z0-9]{1,10}$/),
  hosts: fc.array(validHost, { minLength: 1, maxLength: 4 }),
});

export type Body = Record<string, unknown>;
/** One deliberate defect applied to an otherwise valid create body: every result must be rejected. */
export const corruption: fc.Arbitrary<(b: Body) => Body> = fc.oneof(
  badString.map((v) => (b: Body) => ({ ...b, name: v })),
  wrongType.map((v) => (b: Body) => ({ ...b, name: v })),
  badString.map((v) => (b: Body) => ({ ...b, hosts: [{ hostId: v, role: 'worker' }] })),
  wrongType.map((v) => (b: Body) => ({ ...b, hosts: [{ hostId: v, role: 'worker' }] })),
  badEnum.map((v) => (b: Body) => ({ ...b, hosts: [{ hostId: 'fzhrole', role: v }] })),
  wrongType.map((v) => (b: Body) => ({ ...b, hosts: v })),
  fc.constant((b: Body) => ({ ...b, hosts: [] })),
  fc.constant((b: Body) => ({ ...b, hosts: [...(b.hosts as Body[]), ...(b.hosts as Body[])] })),
  fc.constant((b: Body) => ({
    ...b,
    hosts: Array.from({ length: 1001 }, (_, i) => ({ hostId: `h${i}`, role: 'worker' })),
  })),
  badCidr.map((v) => (b: Body) => ({ ...b, overlayCidr: v })),
  badVni.map((v) => (b: Body) => ({ ...b, vni: v })),
  badEnum.map((v) => (b: Body) => ({ ...b, mode: v })),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue())
    .filter(([k]) => !['name', 'hosts', 'overlayCidr', 'vni', 'mode'].includes(k))
    .map(([k, v]) => (b: Body) => ({ ...b, [k]: v })),
  fc.string({ minLength: 1, maxLength: 10 }).map((k) => (b: Body) => ({
    ...b,
    hosts: [{ ...(b.hosts as Body[])[0], [`x${k}`]: 1 }],
  })),
  fc.constant((b: Body) => {
    const { name: _n, ...rest } = b;
    return rest;
  }),
);

export const badRegistration = fc.oneof(
  fc.record({ hostId: badString, underlayIp: ip }),
  fc.record({ hostId: fc.constant('fzh1'), underlayIp: badIp }),
  fc.record({
    hostId: fc.constant('fzh1'),
    underlayIp: fc.constantFrom(
      '0.0.0.0',
      '127.0.0.1',
      '224.0.0.1',
      '239.1.1.1',
      '255.255.255.255',
      '240.0.0.1',
    ),
  }),
  fc.record({
    hostId: fc.constant('fzh1'),
    underlayIp: ip,
    underlayIface: fc.oneof(
      fc.stringMatching(/^[a-z0-9]{16,40}$/),
      hostile.filter((s) => !ifaceNameSchema.safeParse(s).success),
      fc.constantFrom('eth0/../x', 'eth 0', 'eth0:1', '-eth0'),
    ),
  }),
  fc.record({
    hostId: fc.constant('fzh1'),
    underlayIp: ip,
    labels: fc.dictionary(fc.constantFrom('a b', '$(x)', '../k', ''), anyString, { minKeys: 1 }),
  }),
  fc.record({ hostId: fc.constant('fzh1'), underlayIp: ip, extra: fc.jsonValue() }),
  fc.record({ hostId: wrongType, underlayIp: wrongType }),
);
