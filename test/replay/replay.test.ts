// Recorded histories (scripts/record-histories.ts) replayed against the current workflow bundle: a change
// that alters the commands a workflow issues fails here until it goes behind patched().
// Versions: v2 is current. cluster-failing-host-v1 and cluster-remove-host-v1 predate the
// 'peers-before-join' patch (src/workflows/membership.ts); they keep its unpatched branch replayable.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/temporal.js';
import { loadHistory } from './support/history-json.js';

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
