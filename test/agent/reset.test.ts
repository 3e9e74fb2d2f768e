// The agent's reset: the overlay its state file names is torn down through the activity chain first (so the
// site VIP is released and the state cleared as on a removal), then the kernel sweep runs whatever the state
// said; the answer names the cluster the agent still had.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { withReset } from '../../src/agent/reset.js';
import type { AgentState } from '../../src/agent/state.js';
import { testSpec } from '../fixtures/overlay-spec.js';

function fakes(overlay: AgentState['overlay']) {
  const calls: string[] = [];
  let state = { overlay, peers: [], vipHeld: false, updatedAt: '' } as unknown as AgentState;
  const no = () => Promise.reject(new Error('not in this test'));
  const acts: HostActivities = {
    preflight: no,
    applyOverlay: no,
    setPeers: no,
    assignVip: no,
    releaseVip: no,
    probePeers: no,
    async teardown({ spec }) {
      calls.push(`teardown ${spec.clusterName}`);
      state = { ...state, overlay: null };
      return { changed: true };
    },
    async reset() {
      calls.push('sweep');
      return { changed: false, removed: [] };
    },
  };
  return { calls, acts: withReset(acts, () => state, pino({ level: 'silent' })) };
}

describe('agent reset', () => {
  it('tears down the stored overlay first, then sweeps the kernel', async () => {
    const f = fakes({ spec: testSpec({ clusterName: 'gone' }), overlayIp: '100.64.192.2' });
    expect(await f.acts.reset({ reason: 'test' })).toEqual({ changed: true, removed: [], cluster: 'gone' });
    expect(f.calls).toEqual(['teardown gone', 'sweep']);
  });

  it('with no stored overlay only the sweep runs', async () => {
    const f = fakes(null);
    expect(await f.acts.reset({})).toEqual({ changed: false, removed: [] });
    expect(f.calls).toEqual(['sweep']);
  });
});
