// When RECORD_HISTORIES=1 (scripts/record-histories.ts), scenario tests save the histories they produced
// to test/replay/histories/<workflow>-<scenario>-<version>.json for the replay tests. A committed history is
// never overwritten: a change to a workflow's commands bumps its version and records new files beside it.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { temporalAddress } from '../../helpers/temporal.js';

// Current version per workflow. cluster v2: 'peers-before-join'; v3: 'background-joins' (both in
// src/workflows/joins.ts); v4: 'control-plane-truth' (src/workflows/cluster.ts); v5 (and host-join v3):
// 'host-channel-v2' (src/workflows/activity-options.ts); host v3: 'announce-membership'; cluster v6:
// 'cluster-task-queue' (activity-options.ts); cluster v7: 'site-vip-election' (site-vip-state.ts; recorded
// with 'admission-underlay-check' in place); host-join v4: 'preflight-overlay-check' (host-join.ts);
// cluster v8: 'peer-tables-by-reference' (peer-refs.ts), and host-join v5: the same children given a
// reference; cluster v9: 'ready-after-table-pushes' (cluster-loop.ts); cluster v10: 'phase-settled'
// (cluster.ts). Older versions stay committed: they replay through the unpatched branches.
export const HISTORY_VERSIONS: Record<string, string> = { cluster: 'v10', 'host-join': 'v5', host: 'v3' };
const DEFAULT_HISTORY_VERSION = 'v2';
export const historiesDir = fileURLToPath(new URL('../../replay/histories/', import.meta.url));
const temporalCli = fileURLToPath(new URL('../../../.tools/bin/temporal', import.meta.url));
export const recording = (): boolean => process.env.RECORD_HISTORIES === '1';

export async function recordHistory(
  client: Client,
  workflow: string,
  scenario: string,
  workflowId: string,
  runId?: string,
): Promise<void> {
  if (!recording()) return;
  const file = `${historiesDir}${workflow}-${scenario}-${HISTORY_VERSIONS[workflow] ?? DEFAULT_HISTORY_VERSION}.json`;
  if (existsSync(file)) {
    console.log(`[record] kept ${file} (committed histories are never re-recorded)`);
    return;
  }
  // The CLI writes the protojson form the SDK's replayer reads (historyToJSON trips over this install's two
  // protobufjs copies).
  const run = runId ?? (await client.workflow.getHandle(workflowId).describe()).runId;
  const args = [
    'workflow',
    'show',
    '--address',
    temporalAddress(),
    '-w',
    workflowId,
    '-r',
    run,
    '-o',
    'json',
  ];
  const { stdout } = await execa(temporalCli, args);
  writeFileSync(file, `${stdout.trim()}\n`);
  const events = (JSON.parse(stdout) as { events?: unknown[] }).events?.length ?? 0;
  console.log(`[record] ${file} (${events} events, ${stdout.length} bytes)`);
}
