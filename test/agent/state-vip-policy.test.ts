// The site VIP policy in the agent's state file (issue 13): optional, so files written before it still
// load; kept across a restart; cleared with the overlay (teardown, another cluster); storing one clears
// the legacy vipHeld flag. A file whose policy is broken is set aside like any unusable file. And the
// start-up re-apply never assigns the VIP when a policy is stored (the election decides).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { reapplyStoredOverlay } from '../../src/agent/reapply.js';
import { type AgentState, StateStore, stateFileName } from '../../src/agent/state.js';
import { type SiteVipPolicy, siteVipPolicySchema } from '../../src/domain/site-vip.js';
import { testSpec } from '../fixtures/overlay-spec.js';

const spec = testSpec({ clusterName: 'state' });
const log = pino({ level: 'silent' });
const policy: SiteVipPolicy = siteVipPolicySchema.parse({
  policyVersion: 3,
  voters: ['h1', 'h2', 'h3'],
  eligible: [
    { hostId: 'h1', priority: 2 },
    { hostId: 'h2', priority: 1 },
  ],
});
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'eo-state-vip-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fileOf = (over: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    hostId: 'h1',
    overlay: { spec, overlayIp: '100.64.192.10' },
    peers: [],
    vipHeld: true,
    updatedAt: new Date().toISOString(),
    ...over,
  });

describe('state file: the site VIP policy', () => {
  it('a file written before the election (no vipPolicy) still loads', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, stateFileName), fileOf({}));
    const state = await new StateStore(dir, 'h1', log).load();
    expect(state).toMatchObject({ overlay: { overlayIp: '100.64.192.10' }, vipHeld: true });
    expect(state.vipPolicy ?? null).toBeNull();
  });

  it('is kept across a restart; storing it clears the legacy flag; teardown and another cluster clear it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, stateFileName), fileOf({}));
    const store = new StateStore(dir, 'h1', log);
    await store.load();
    await store.vipPolicySet(policy);
    const again = await new StateStore(dir, 'h1', log).load();
    expect(again).toMatchObject({ vipPolicy: policy, vipHeld: false });

    await store.overlayApplied({ spec, overlayIp: '100.64.192.10' }); // same cluster: kept
    expect(store.current().vipPolicy).toEqual(policy);
    await store.overlayApplied({ spec: testSpec({ clusterName: 'other' }), overlayIp: '100.64.192.10' });
    expect(store.current().vipPolicy).toBeNull();
    await store.vipPolicySet(policy);
    await store.tornDown();
    expect((await new StateStore(dir, 'h1', log).load()).vipPolicy).toBeNull();
  });

  it.each([
    ['broken', { ...policy, voters: [] }],
    ['of a newer agent (a field this one does not know)', { ...policy, quorumMode: 'joint' }],
  ])('a %s policy is dropped with a warning; the overlay stays', async (_what, vipPolicy) => {
    const dir = tempDir();
    writeFileSync(join(dir, stateFileName), fileOf({ vipPolicy }));
    const lines: Array<{ level: number; msg: string }> = [];
    const capture = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const state = await new StateStore(dir, 'h1', capture).load();
    expect(state).toMatchObject({ overlay: { overlayIp: '100.64.192.10' }, vipPolicy: null });
    expect(readdirSync(dir).some((n) => n.includes('.corrupt-'))).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual([
      'stored site VIP policy unusable: dropped until the control plane pushes it again',
    ]);
  });

  it('the start-up re-apply assigns the VIP only for a legacy cluster, never with a policy stored', async () => {
    const calls: string[] = [];
    const acts = {
      applyOverlay: async () => void calls.push('applyOverlay'),
      setPeers: async () => void calls.push('setPeers'),
      assignVip: async () => void calls.push('assignVip'),
    } as unknown as HostActivities;
    const state = JSON.parse(fileOf({})) as AgentState;
    expect(await reapplyStoredOverlay(acts, state, log)).toBe(true);
    expect(calls).toEqual(['applyOverlay', 'setPeers', 'assignVip']);
    calls.length = 0;
    expect(await reapplyStoredOverlay(acts, { ...state, vipPolicy: policy }, log)).toBe(true);
    expect(calls).toEqual(['applyOverlay', 'setPeers']);
  });
});
