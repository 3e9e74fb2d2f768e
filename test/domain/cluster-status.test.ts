import { describe, expect, it } from 'vitest';
import { computeConditions, computePhase, type StatusSnapshot } from '../../src/domain/cluster-status.js';
import { setCondition } from '../../src/domain/conditions.js';
import type { HostState } from '../../src/domain/types.js';

const snap = (states: HostState[], extra: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  deleting: false,
  reconciling: false,
  reconcileFailures: [],
  hosts: states.map((state, i) => ({ hostId: `h${i}`, role: i === 0 ? 'control-plane' : 'worker', state })),
  vipHolder: 'h0',
  ...extra,
});

describe('computePhase', () => {
  it.each<[string, StatusSnapshot, string]>([
    ['all joined', snap(['Joined', 'Joined']), 'Ready'],
    ['initial claim running', snap([], { initializing: true }), 'Provisioning'],
    ['a host joining', snap(['Joined', 'Joining']), 'Provisioning'],
    ['a host failed', snap(['Joined', 'Failed']), 'Degraded'],
    ['a host lost', snap(['Joined', 'Lost']), 'Degraded'],
    ['reconciling', snap(['Joined', 'Lost'], { reconciling: true }), 'Recovering'],
    ['push failed', snap(['Joined'], { reconcileFailures: ['h0'] }), 'Degraded'],
    ['no VIP holder', snap(['Joined'], { vipHolder: null }), 'Degraded'],
    ['deleting wins', snap(['Joining'], { deleting: true }), 'Deleting'],
  ])('%s → %s', (_n, s, phase) => {
    expect(computePhase(s)).toBe(phase);
  });
});

describe('conditions', () => {
  it('moves lastTransitionTime only when status changes', () => {
    let list = setCondition([], { type: 'X', status: 'False', reason: 'A', message: '' }, 't1');
    list = setCondition(list, { type: 'X', status: 'False', reason: 'B', message: 'm' }, 't2');
    expect(list).toEqual([
      { type: 'X', status: 'False', reason: 'B', message: 'm', lastTransitionTime: 't1' },
    ]);
    list = setCondition(list, { type: 'X', status: 'True', reason: 'C', message: '' }, 't3');
    expect(list[0]?.lastTransitionTime).toBe('t3');
  });

  it('sets every condition, Ready first and Deleting last, with reasons', () => {
    const list = computeConditions(snap(['Joined', 'Failed', 'Lost']), [], 't');
    expect(list.map((c) => c.type)).toEqual([
      'Ready',
      'HostsJoined',
      'HostsHealthy',
      'OverlayReconciled',
      'VipAssigned',
      'Deleting',
    ]);
    expect(list.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'ClusterNotReady'],
      ['HostsJoined', 'False', 'HostJoinFailed'],
      ['HostsHealthy', 'False', 'HostLost'],
      ['OverlayReconciled', 'True', 'PeerTablesCurrent'],
      ['VipAssigned', 'True', 'VipHeld'],
      ['Deleting', 'False', 'NotDeleting'],
    ]);
    const noCp = computeConditions(
      snap(['Joined'], { vipHolder: null, hosts: [{ hostId: 'w', role: 'worker', state: 'Joined' }] }),
      [],
      't',
    );
    expect(noCp.find((c) => c.type === 'VipAssigned')?.reason).toBe('NoControlPlane');
  });
});
