// Recorded histories (scripts/record-histories.ts) replayed against the current workflow bundle: a change
// that alters the commands a workflow issues fails here until it goes behind patched().
// Versions: cluster v10 is current: v9's markers plus 'phase-settled' (cluster.ts, decided when the cluster
// is created). Cluster v9: v8's markers plus 'ready-after-table-pushes' (cluster-loop.ts). Cluster v8: v7's
// plus 'peer-tables-by-reference' (peer-refs.ts: pushes and join children carry a reference to the peering
// set; host-join v5 are such children). Cluster v7: v6's markers plus 'site-vip-election' (site-vip-state.ts,
// decided when the cluster is created) and 'admission-underlay-check' (admission.ts). Cluster v6 (v5's
// markers, then 'cluster-task-queue' (activity-options.ts), 'bounded-push-waves' (push-waves.ts),
// 'underlay-batch-per-activation' (cluster-loop.ts), 'join-waves' (joins.ts) and, where a verify round ran,
// 'probe-with-push' (peer-sync.ts)). Cluster v5 ('host-channel-v2' right after 'control-plane-truth',
// src/workflows/cluster.ts: host commands through the control worker's relay, presence liveness, no beacon
// key; host-join v3 has the same marker). v4 ('control-plane-truth': admission, background host commands,
// digests) replays the v4 loop. v3 ('background-joins', src/workflows/joins.ts) and v2
// ('peers-before-join') histories replay the old loop (cluster-loop-v3.ts); cluster-failing-host-v1 and
// cluster-remove-host-v1 predate both. host-join and host-register are at v2 (unchanged).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { loadHistory, patchIds } from './support/history-json.js';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string) => ({
  workflowId: file.replace(/\.json$/, ''),
  history: loadHistory(dir + file),
});

describe('replay of recorded histories', () => {
  it('has histories for every workflow type and scenario', () => {
    expect(files.filter((f) => f.startsWith('cluster-')).length).toBeGreaterThanOrEqual(7);
    expect(files.some((f) => f.startsWith('host-join-'))).toBe(true);
    expect(files.some((f) => f.startsWith('host-register'))).toBe(true);
  });

  // v1 without markers, v2 awaited joins, v3 background joins, v4 control-plane truth, v5 host channel, v6
  // waves and cluster queue, v7 site VIP election, v8 peer tables by reference, v9 ready after table pushes,
  // v10 phase settled
  it('covers every branch: the markers of each cluster version', () => {
    const patchesOf = (version: string) =>
      files
        .filter((f) => f.startsWith('cluster-') && f.endsWith(`-${version}.json`))
        .map((f) => [f, patchIds(load(f).history)]);
    const v1 = patchesOf('v1');
    const v2 = patchesOf('v2');
    const v3 = patchesOf('v3');
    const v4 = patchesOf('v4');
    expect(v1.length).toBeGreaterThan(0);
    expect(v2.length).toBeGreaterThan(0);
    expect(v3.length).toBeGreaterThanOrEqual(8);
    for (const [, ids] of v1) expect(ids).toEqual([]);
    for (const [, ids] of v2) expect(ids).toEqual(['peers-before-join']);
    for (const [, ids] of v3) expect(ids).toEqual(['background-joins']);
    expect(v3.map(([f]) => f)).toContain('cluster-slow-join-v3.json');
    expect(v4.length).toBeGreaterThanOrEqual(12);
    for (const [, ids] of v4) expect(ids).toEqual(['control-plane-truth']);
    expect(v4.map(([f]) => f)).toContain('cluster-hanging-host-v4.json');
    const v5 = patchesOf('v5');
    expect(v5.length).toBeGreaterThanOrEqual(13);
    for (const [, ids] of v5) expect(ids).toEqual(['control-plane-truth', 'host-channel-v2']);
    expect(v5.map(([f]) => f)).toContain('cluster-reordered-reports-v5.json');
    // v6: cluster queue, per-activation underlay batches, push and join waves; a verify round rides on the push
    const v6 = patchesOf('v6');
    expect(v6.length).toBeGreaterThanOrEqual(14);
    const v6Base = [
      'control-plane-truth',
      'host-channel-v2',
      'cluster-task-queue',
      'bounded-push-waves',
      'underlay-batch-per-activation',
      'join-waves',
    ];
    for (const [, ids] of v6)
      expect((ids as string[]).filter((id) => id !== 'probe-with-push')).toEqual(v6Base);
    expect(v6.filter(([, ids]) => (ids as string[]).includes('probe-with-push')).length).toBeGreaterThan(0);
    expect(v6.map(([f]) => f)).toContain('cluster-cluster-queue-v6.json');
    // v7: the site elects its VIP (no assignVip; policy with setPeers; holder from vipReport signals)
    const v7 = patchesOf('v7');
    expect(v7.length).toBeGreaterThanOrEqual(16);
    const v7Base = [
      'control-plane-truth',
      'host-channel-v2',
      'cluster-task-queue',
      'site-vip-election',
      'bounded-push-waves',
      'admission-underlay-check',
      'underlay-batch-per-activation',
      'join-waves',
    ];
    for (const [, ids] of v7)
      expect((ids as string[]).filter((id) => id !== 'probe-with-push')).toEqual(v7Base);
    expect(v7.map(([f]) => f)).toEqual(
      expect.arrayContaining(['cluster-site-vip-reports-v7.json', 'cluster-site-vip-voter-steps-v7.json']),
    );
    // v8: peer tables by reference: no table in any push or join input (peer-refs.ts)
    const v8 = patchesOf('v8');
    expect(v8.length).toBeGreaterThanOrEqual(16);
    const v8Base = [...v7Base.slice(0, 4), 'peer-tables-by-reference', ...v7Base.slice(4)];
    for (const [, ids] of v8)
      expect((ids as string[]).filter((id) => id !== 'probe-with-push')).toEqual(v8Base);
    // v9: Ready only once every Joined host has its table (cluster-loop.ts)
    const v9 = patchesOf('v9');
    expect(v9.length).toBeGreaterThanOrEqual(16);
    const v9Base = [...v8Base.slice(0, 8), 'ready-after-table-pushes', ...v8Base.slice(8)];
    for (const [, ids] of v9)
      expect((ids as string[]).filter((id) => id !== 'probe-with-push')).toEqual(v9Base);
    // v10: the phase rule decided once per cluster (cluster.ts): the first election is Provisioning, an add
    // leaves a Ready cluster Ready
    const v10 = patchesOf('v10');
    expect(v10.length).toBeGreaterThanOrEqual(20);
    const v10Base = [...v9Base.slice(0, 4), 'phase-settled', ...v9Base.slice(4)];
    for (const [, ids] of v10)
      expect((ids as string[]).filter((id) => id !== 'probe-with-push')).toEqual(v10Base);
    // and a first holder handed over (a planned release) or lost (QuorumLost), cluster-phase.test.ts
    expect(v10.map(([f]) => f)).toEqual(
      expect.arrayContaining(
        ['phase-add-host', 'phase-handover', 'phase-quorum-lost'].map((n) => `cluster-${n}-v10.json`),
      ),
    );
    const joinsV5 = files.filter((f) => f.startsWith('host-join-') && f.endsWith('-v5.json'));
    expect(joinsV5.length).toBeGreaterThanOrEqual(2);
    for (const f of joinsV5) {
      const started = load(f).history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString());
      expect(input).toMatchObject({ peers: [], probeTargets: [], peersFrom: { only: 'Joined' } });
    }
    const joins = files.filter((f) => f.startsWith('host-join-') && f.endsWith('-v3.json'));
    expect(joins.length).toBeGreaterThanOrEqual(2);
    for (const f of joins) expect(patchIds(load(f).history)).toEqual(['host-channel-v2']);
    // host-join v4: the preflight gets the spec and checks the CIDR on the host ('preflight-overlay-check')
    const joinsV4 = files.filter((f) => f.startsWith('host-join-') && f.endsWith('-v4.json'));
    expect(joinsV4.length).toBeGreaterThanOrEqual(2);
    for (const f of joinsV4)
      expect(patchIds(load(f).history).sort()).toEqual(['host-channel-v2', 'preflight-overlay-check']);
    const hostV3 = files.filter((f) => f.startsWith('host-register') && f.endsWith('-v3.json'));
    expect(hostV3.length).toBeGreaterThanOrEqual(1);
    for (const f of hostV3) expect(patchIds(load(f).history)).toEqual(['announce-membership']);
  });

  it('replays every history against the current bundle without nondeterminism', async () => {
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: workflowBundle() },
      files.map(load),
    )) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('fails with DeterminismViolationError against a deliberately changed clusterWorkflow', async () => {
    const { workflowId, history } = load('cluster-create-5-hosts-v2.json');
    const workflowsPath = fileURLToPath(
      new URL('../fixtures/nondeterministic-workflows.ts', import.meta.url),
    );
    const replay = Worker.runReplayHistory({ workflowsPath }, history, workflowId);
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
