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
    ['a host command stalled', snap(['Joined', 'Joined'], { stalled: ['h1'] }), 'Degraded'],
    ['tables still being pushed', snap(['Joined', 'Joined'], { tablesPending: true }), 'Provisioning'],
    [
      'tables pending, reconciling',
      snap(['Joined'], { tablesPending: true, reconciling: true }),
      'Recovering',
    ],
    ['tables pending, a host lost', snap(['Joined', 'Lost'], { tablesPending: true }), 'Provisioning'],
    ['tables pushed, a host lost', snap(['Joined', 'Lost'], { tablesPending: false }), 'Degraded'],
  ])('%s → %s', (_n, s, phase) => {
    expect(computePhase(s)).toBe(phase);
  });
});

// Phases always heal: the phase and every condition are a function of the current snapshot only, so once
// each fault is gone (whatever came before) the cluster is Ready with every condition True (Deleting False).
describe('healing', () => {
  const faults: Array<[string, Partial<StatusSnapshot>, HostState[]]> = [
    ['failed push', { reconcileFailures: ['h1'] }, ['Joined', 'Joined']],
    ['failed probe (counted as a failed push)', { reconcileFailures: ['h0', 'h1'] }, ['Joined', 'Joined']],
    ['lost host', {}, ['Joined', 'Lost']],
    ['stalled command', { stalled: ['h1'] }, ['Joined', 'Joined']],
    ['reconciling', { reconciling: true }, ['Joined', 'Joined']],
    ['no VIP holder', { vipHolder: null }, ['Joined', 'Joined']],
    ['joining', {}, ['Joined', 'Joining']],
  ];
  it.each(faults)('%s, then healthy → Ready, every condition True', (_n, fault, states) => {
    const sick = snap(states, fault);
    expect(computePhase(sick)).not.toBe('Ready');
    const before = computeConditions(sick, [], 't1');
    const healthy = snap(['Joined', 'Joined']);
    expect(computePhase(healthy)).toBe('Ready');
    const after = computeConditions(healthy, before, 't2');
    for (const c of after)
      expect([c.type, c.status]).toEqual([c.type, c.type === 'Deleting' ? 'False' : 'True']);
    const moved = after.filter((c) => c.lastTransitionTime === 't2').map((c) => c.type);
    expect(moved.length).toBeGreaterThan(0);
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
      'HostsResponsive',
      'Deleting',
    ]);
    expect(list.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'ClusterNotReady'],
      ['HostsJoined', 'False', 'HostJoinFailed'],
      ['HostsHealthy', 'False', 'HostLost'],
      ['OverlayReconciled', 'True', 'PeerTablesCurrent'],
      ['VipAssigned', 'True', 'VipHeld'],
      ['HostsResponsive', 'True', 'CommandsAnswered'],
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
