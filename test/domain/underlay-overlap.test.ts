// The overlay CIDR against the members' underlay (issue 14, point 2): subnets as the agents report them, the
// control plane's address as each host reaches it, and when two clusters share an underlay L2.
import { describe, expect, it } from 'vitest';
import { formatCidr, subnetOf } from '../../src/domain/cidr.js';
import { hostsHealthyCondition } from '../../src/domain/cluster-status.js';
import {
  memberUnderlayOf,
  sharedUnderlay,
  underlayOverlapProblems,
} from '../../src/domain/underlay-overlap.js';

describe('underlayOverlapProblems', () => {
  it('refuses a CIDR over a member subnet even when no member address lies in it (the lab case)', () => {
    // 10.213.0.0/26 holds the control plane at .2; the host is .40: the old address check saw nothing.
    const problems = underlayOverlapProblems('10.213.0.0/28', [
      { hostId: 'h1', underlayIp: '10.213.0.40', prefixLength: 26 },
    ]);
    expect(problems).toEqual(['10.213.0.0/28 overlaps the underlay subnet 10.213.0.0/26 of host h1']);
  });

  it("refuses a CIDR that holds the control plane's address as a host reaches it", () => {
    const problems = underlayOverlapProblems('10.99.0.0/24', [
      { hostId: 'h1', underlayIp: '192.168.7.4', prefixLength: 24, brokerAddress: '10.99.0.2' },
      { hostId: 'h2', underlayIp: '192.168.7.5', prefixLength: 24, brokerAddress: '10.99.0.2' },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/contains the control plane's address 10\.99\.0\.2 as hosts h1, h2 reach it/);
  });

  it('names every member of one subnet together, an address alone when the prefix is unknown', () => {
    const members = [1, 2, 3, 4, 5, 6, 7].map((i) => ({
      hostId: `h${i}`,
      underlayIp: `10.1.0.${i}`,
      prefixLength: 16,
    }));
    const problems = underlayOverlapProblems('10.1.128.0/24', [
      ...members,
      { hostId: 'old', underlayIp: '10.1.128.9' },
    ]);
    expect(problems).toEqual([
      '10.1.128.0/24 overlaps the underlay subnet 10.1.0.0/16 of hosts h1, h2, h3, h4, h5 and 2 more',
      '10.1.128.0/24 overlaps the underlay address 10.1.128.9 of host old',
    ]);
  });

  it('accepts a CIDR clear of every subnet and broker address; ignores what it cannot parse', () => {
    const members = [
      { hostId: 'h1', underlayIp: '10.213.0.40', prefixLength: 26, brokerAddress: '10.213.0.2' },
    ];
    expect(underlayOverlapProblems('100.64.192.0/24', members)).toEqual([]);
    expect(underlayOverlapProblems('10.213.0.64/26', members)).toEqual([]); // the next /26 is another L2
    expect(underlayOverlapProblems('not-a-cidr', members)).toEqual([]);
    expect(underlayOverlapProblems('10.213.0.0/24', [{ hostId: 'x', underlayIp: null }])).toEqual([]);
  });

  it('reads a host record: fields its agent never reported stay unknown', () => {
    expect(memberUnderlayOf({ hostId: 'a', underlayIp: '10.0.0.1' })).toEqual({
      hostId: 'a',
      underlayIp: '10.0.0.1',
    });
    expect(formatCidr(subnetOf('10.213.0.40', 26))).toBe('10.213.0.0/26');
  });
});

describe('sharedUnderlay', () => {
  it('finds two groups on one subnet, either way round', () => {
    const ours = [{ hostId: 'a', underlayIp: '10.213.0.40', prefixLength: 26 }];
    const theirs = [{ hostId: 'b', underlayIp: '10.213.0.41' }];
    expect(sharedUnderlay(ours, theirs)).toEqual({ ours: ours[0], theirs: theirs[0] });
    expect(sharedUnderlay(theirs, ours)).toEqual({ ours: theirs[0], theirs: ours[0] });
  });

  it('needs a reported subnet: equal addresses without prefixes (NAT sites) do not count; another subnet neither', () => {
    expect(
      sharedUnderlay(
        [{ hostId: 'a', underlayIp: '192.168.1.5' }],
        [{ hostId: 'b', underlayIp: '192.168.1.5' }],
      ),
    ).toBeNull();
    expect(
      sharedUnderlay(
        [{ hostId: 'a', underlayIp: '10.213.0.40', prefixLength: 26 }],
        [{ hostId: 'b', underlayIp: '10.213.0.70', prefixLength: 26 }],
      ),
    ).toBeNull();
  });
});

describe('HostsHealthy', () => {
  it('is False for a host whose join failed, not "every host reports"', () => {
    const c = hostsHealthyCondition({
      deleting: false,
      reconciling: false,
      reconcileFailures: [],
      vipHolder: null,
      hosts: [
        { hostId: 'ok', role: 'control-plane', state: 'Joined' },
        { hostId: 'bad', role: 'worker', state: 'Failed' },
      ],
    });
    expect(c).toMatchObject({ status: 'False', reason: 'HostJoinFailed' });
    expect(c.message).toContain('bad');
  });
});
