import { describe, expect, it } from 'vitest';
import {
  computeConditions,
  computePhase,
  isPlannedRelease,
  type PhaseHistory,
  type StatusSnapshot,
} from '../../src/domain/cluster-status.js';
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

// Since 'phase-settled'. `fresh`: no holder recorded yet, never Ready (the first election); `held`: a holder
// was recorded, not Ready yet; `ready`: was Ready (a holder was recorded on the way). `handingOver`,
// `readyHandingOver`: the same two after a planned release (the record's last change).
const fresh: PhaseHistory = { holderSeen: false, wasReady: false, handover: false };
const held: PhaseHistory = { holderSeen: true, wasReady: false, handover: false };
const ready: PhaseHistory = { holderSeen: true, wasReady: true, handover: false };
const handingOver: PhaseHistory = { ...held, handover: true };
const readyHandingOver: PhaseHistory = { ...ready, handover: true };
const settled = (past: PhaseHistory, states: HostState[], extra: Partial<StatusSnapshot> = {}) =>
  snap(states, { settled: past, ...extra });
const noHolder = { vipHolder: null };
const firstControlPlane = (state: HostState): StatusSnapshot =>
  snap([], {
    hosts: [
      { hostId: 'w', role: 'worker', state: 'Joined' },
      { hostId: 'c', role: 'control-plane', state },
    ],
    vipHolder: null,
    settled: { holderSeen: false, wasReady: true, handover: false },
  });

describe("computePhase since 'phase-settled'", () => {
  it.each<[string, StatusSnapshot, string]>([
    // provisioning a new cluster: the first election is not a fault
    ['first election running', settled(fresh, ['Joined', 'Joined'], noHolder), 'Provisioning'],
    ['first election, a host joining', settled(fresh, ['Joined', 'Joining'], noHolder), 'Provisioning'],
    ['first election, a host failed', settled(fresh, ['Joined', 'Failed'], noHolder), 'Degraded'],
    [
      'first election, a push failed',
      settled(fresh, ['Joined'], { ...noHolder, reconcileFailures: ['h0'] }),
      'Degraded',
    ],
    ['first holder recorded', settled(fresh, ['Joined', 'Joined']), 'Ready'],
    ['no control plane joined yet', settled(fresh, ['Joining', 'Joined'], noHolder), 'Provisioning'],
    ['holder lost before Ready', settled(held, ['Joined', 'Joined'], noHolder), 'Degraded'],
    [
      'not Ready yet: tables pending',
      settled(held, ['Joined', 'Joined'], { tablesPending: true }),
      'Provisioning',
    ],
    ['not Ready yet: joining', settled(held, ['Joined', 'Joining']), 'Provisioning'],
    ['not Ready yet: reconciling', settled(held, ['Joined'], { reconciling: true }), 'Recovering'],
    // after Ready: an addition does not change the phase
    ['Ready, a host added (Pending)', settled(ready, ['Joined', 'Joined', 'Pending']), 'Ready'],
    ['Ready, a host joining', settled(ready, ['Joined', 'Joined', 'Joining']), 'Ready'],
    [
      'Ready, tables of the addition pending',
      settled(ready, ['Joined', 'Joined'], { tablesPending: true }),
      'Ready',
    ],
    // a cluster Ready without any control-plane host (so no holder ever) gets its first one: VipAssigned
    // reports the election, the phase stays
    ['Ready, first control plane joining', firstControlPlane('Joining'), 'Ready'],
    ['Ready, first control plane joined, no holder yet', firstControlPlane('Joined'), 'Ready'],
    // after Ready: real faults, as before
    ['Ready, joining, a host lost', settled(ready, ['Joined', 'Lost', 'Joining']), 'Degraded'],
    ['Ready, a host failed', settled(ready, ['Joined', 'Failed']), 'Degraded'],
    ['Ready, the added host failed', settled(ready, ['Joined', 'Joined', 'Failed']), 'Degraded'],
    [
      'Ready, joining, a push failed',
      settled(ready, ['Joined', 'Joining'], { reconcileFailures: ['h0'] }),
      'Degraded',
    ],
    [
      'Ready, joining, a push stalled',
      settled(ready, ['Joined', 'Joining'], { stalled: ['h0'] }),
      'Degraded',
    ],
    ['Ready, joining, holder lost', settled(ready, ['Joined', 'Joining'], noHolder), 'Degraded'],
    [
      'Ready, joining, underlay changed',
      settled(ready, ['Joined', 'Joining'], { reconciling: true }),
      'Recovering',
    ],
    [
      'Ready, tables pending, underlay changed',
      settled(ready, ['Joined'], { reconciling: true, tablesPending: true }),
      'Recovering',
    ],
    [
      'Ready, tables pending, a host lost',
      settled(ready, ['Joined', 'Lost'], { tablesPending: true }),
      'Degraded',
    ],
    ['Ready, deleting', settled(ready, ['Joining'], { deleting: true }), 'Deleting'],
    // a planned release (Outranked, NotEligible, Stopped): the next holder is on its way, like the first one
    ['handover before Ready', settled(handingOver, ['Joined', 'Joined'], noHolder), 'Provisioning'],
    [
      'handover before Ready, tables pending',
      settled(handingOver, ['Joined', 'Joined'], { ...noHolder, tablesPending: true }),
      'Provisioning',
    ],
    ['handover before Ready, a host lost', settled(handingOver, ['Joined', 'Lost'], noHolder), 'Degraded'],
    ['handover after Ready', settled(readyHandingOver, ['Joined', 'Joined'], noHolder), 'Ready'],
    [
      'handover after Ready, a host failed',
      settled(readyHandingOver, ['Joined', 'Failed'], noHolder),
      'Degraded',
    ],
    [
      'handover after Ready, a push stalled',
      settled(readyHandingOver, ['Joined', 'Joined'], { ...noHolder, stalled: ['h1'] }),
      'Degraded',
    ],
    // any other release (QuorumLost, LeaseExpired, Conflict…) leaves handover false: a fault, as before
    ['unplanned release before Ready', settled(held, ['Joined', 'Joined'], noHolder), 'Degraded'],
    ['unplanned release after Ready', settled(ready, ['Joined', 'Joined'], noHolder), 'Degraded'],
  ])('%s → %s', (_n, s, phase) => {
    expect(computePhase(s)).toBe(phase);
  });

  it.each([
    ['Outranked', true],
    ['NotEligible', true],
    ['Stopped', true],
    ['HolderRemoved', true],
    ['QuorumLost', false],
    ['LeaseExpired', false],
    ['Conflict', false],
    ['HolderLost', false],
    ['NoHealthyControlPlane', false],
  ])('a release for %s is planned: %s', (reason, planned) => {
    expect(isPlannedRelease(reason)).toBe(planned);
  });

  it('VipAssigned stays False during a handover, and says so', () => {
    const during = computeConditions(settled(readyHandingOver, ['Joined', 'Joined'], noHolder), [], 't');
    expect(during.find((c) => c.type === 'VipAssigned')).toMatchObject({
      status: 'False',
      reason: 'VipHandover',
    });
    expect(during.find((c) => c.type === 'Ready')?.status).toBe('True');
    const lost = computeConditions(settled(ready, ['Joined', 'Joined'], noHolder), [], 't');
    expect(lost.find((c) => c.type === 'VipAssigned')?.reason).toBe('NoHealthyControlPlane');
  });

  it('without it (old histories) the old rule: a missing holder is Degraded, an add Provisioning', () => {
    expect(computePhase(snap(['Joined', 'Joined'], noHolder))).toBe('Degraded');
    expect(computePhase(snap(['Joined', 'Joined', 'Joining']))).toBe('Provisioning');
    expect(computePhase(snap(['Joined', 'Joined'], { tablesPending: true }))).toBe('Provisioning');
  });

  it('the Ready condition follows the phase: True while a host joins a Ready cluster', () => {
    const s = settled(ready, ['Joined', 'Joined', 'Joining']);
    const list = computeConditions(s, [], 't');
    expect(list.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(list.find((c) => c.type === 'HostsJoined')).toMatchObject({
      status: 'False',
      reason: 'HostsJoining',
    });
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
