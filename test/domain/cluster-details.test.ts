// The Web UI page of a cluster (src/domain/cluster-details.ts): summary line, host table, capped for big
// clusters.
import { describe, expect, it } from 'vitest';
import { clusterDetails, creationSummary, DETAILS_MAX_HOSTS } from '../../src/domain/cluster-details.js';
import type { HostState } from '../../src/domain/types.js';

const host = (i: number, state: HostState = 'Joined') => ({
  hostId: `h${i}`,
  role: i === 0 ? ('control-plane' as const) : ('worker' as const),
  overlayIp: `100.64.192.${i + 2}`,
  underlayIp: i === 2 ? null : `10.0.0.${i + 10}`,
  state,
});
const base = {
  name: 'shop-7',
  phase: 'Ready' as const,
  overlayCidr: '100.64.192.0/24',
  vni: 100,
  mode: 'unicast' as const,
  vip: '100.64.192.1',
};

describe('cluster details', () => {
  it('summarizes phase, VIP holder and host states, and tables every host', () => {
    const text = clusterDetails({ ...base, vipHolder: 'h0', hosts: [host(0), host(1), host(2, 'Lost')] });
    expect(text.split('\n')[0]).toBe(
      '**shop-7** — Ready · VIP 100.64.192.1 on h0 · 3 hosts (2 Joined, 1 Lost)',
    );
    expect(text).toContain('| h0 (VIP) | control-plane | 100.64.192.2 | 10.0.0.10 | Joined |');
    expect(text).toContain('| h2 | worker | 100.64.192.4 | — | Lost |');
  });

  it('says when nobody holds the VIP, and caps the table for big clusters', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => host(i, 'Pending'));
    const text = clusterDetails({ ...base, phase: 'Provisioning', vipHolder: null, hosts });
    expect(text).toContain('Provisioning · VIP 100.64.192.1 not held · 1000 hosts (1000 Pending)');
    expect(text.split('\n').filter((l) => /^\| h\d/.test(l))).toHaveLength(DETAILS_MAX_HOSTS);
    expect(text).toContain(`… and ${1000 - DETAILS_MAX_HOSTS} more hosts`);
    expect(text.length).toBeLessThan(8000);
  });

  it('the creation summary names size, control planes and overlay', () => {
    expect(creationSummary({ ...base, hosts: [host(0), host(1)] })).toBe(
      'cluster shop-7: 2 hosts (1 control-plane), 100.64.192.0/24, VNI 100, unicast',
    );
  });
});
