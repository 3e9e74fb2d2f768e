// The membership guard with fake activities (no kernel): a membership message (retained on the host's
// topic, read again after every reconnect) that no longer counts the host in its stored cluster tears that
// overlay down, and nothing else does; overlay changes never interleave with that teardown. The real flow
// (agent process, broker, control plane) is in removed-host.test.ts.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { createMembershipGuard, type Membership } from '../../src/agent/membership.js';
import type { AgentState } from '../../src/agent/state.js';
import type { OverlaySpec } from '../../src/domain/types.js';
import { testSpec } from '../fixtures/overlay-spec.js';

const log = pino({ level: 'silent' });
const specX = testSpec({ clusterName: 'x' });

function world(initial: AgentState['overlay']) {
  let state: AgentState = {
    version: 1,
    hostId: 'h1',
    overlay: initial,
    peers: [],
    vipHeld: true,
    updatedAt: '',
  };
  const calls: string[] = [];
  let release: (() => void) | undefined;
  const no = () => Promise.reject(new Error('not in this test'));
  const fake: HostActivities = {
    preflight: no,
    probePeers: no,
    setPeers: no,
    assignVip: no,
    releaseVip: no,
    reset: no,
    async applyOverlay(input) {
      calls.push(`apply ${input.spec.clusterName}`);
      // a test may hold the apply open to see whether the teardown waits for it
      if (release === undefined) await new Promise<void>((r) => setTimeout(r, 0));
      else await new Promise<void>((r) => (release = r));
      state = { ...state, overlay: { spec: input.spec, overlayIp: input.overlayIp } };
      calls.push(`applied ${input.spec.clusterName}`);
      return { changed: true, vxlanDevice: 'vxlan100', bridge: 'scbr-100', mac: '', mtu: 1450 };
    },
    async teardown(input: { spec: OverlaySpec }) {
      calls.push(`teardown ${input.spec.clusterName}`);
      state = { ...state, overlay: null, vipHeld: false };
      return { changed: true };
    },
  };
  const guard = createMembershipGuard({ state: () => state, log });
  const acts = guard.bind(fake);
  return {
    guard,
    acts,
    calls,
    state: () => state,
    holdApplies: () => {
      release = () => undefined;
    },
    releaseApply: () => release?.(),
  };
}

describe('membership guard', () => {
  const stored = { spec: specX, overlayIp: '100.64.192.10' };

  it.each<[string, Membership]>([
    ['no cluster', { cluster: null }],
    ['another cluster', { cluster: 'y' }],
  ])('an answer with %s tears the stored overlay down', async (_what, answer) => {
    const w = world(stored);
    await w.guard.beforeRegister()(answer);
    expect(w.calls).toEqual(['teardown x']);
    expect(w.state().overlay).toBeNull();
  });

  it('an answer with the stored cluster, or no stored overlay, changes nothing', async () => {
    const w = world(stored);
    await w.guard.beforeRegister()({ cluster: 'x' });
    const empty = world(null);
    await empty.guard.beforeRegister()({ cluster: null });
    expect([...w.calls, ...empty.calls]).toEqual([]);
  });

  it('an overlay applied after the registration was sent is newer than the answer: kept', async () => {
    const w = world(stored);
    const answered = w.guard.beforeRegister();
    await w.acts.applyOverlay({ spec: testSpec({ clusterName: 'z' }), overlayIp: '100.64.192.10' });
    await answered({ cluster: null });
    expect(w.calls).toEqual(['apply z', 'applied z']);
    expect(w.state().overlay?.spec.clusterName).toBe('z');
  });

  it('the teardown waits for an overlay change in flight, and then sees it', async () => {
    const w = world(stored);
    w.holdApplies();
    const answered = w.guard.beforeRegister();
    const apply = w.acts.applyOverlay({ spec: specX, overlayIp: '100.64.192.10' });
    const check = answered({ cluster: null });
    await new Promise((r) => setTimeout(r, 50));
    expect(w.calls).toEqual(['apply x']);
    w.releaseApply();
    await Promise.all([apply, check]);
    // the re-apply replaced the state the registration saw: it is newer than the answer
    expect(w.calls).toEqual(['apply x', 'applied x']);
  });

  it('overlay changes arriving during the teardown run after it', async () => {
    const w = world(stored);
    const check = w.guard.beforeRegister()({ cluster: null });
    const apply = w.acts.applyOverlay({ spec: testSpec({ clusterName: 'y' }), overlayIp: '100.64.192.10' });
    await Promise.all([check, apply]);
    expect(w.calls).toEqual(['teardown x', 'apply y', 'applied y']);
  });
});
