// When RECORD_HISTORIES=1 (scripts/record-histories.ts), scenario tests save the histories they produced
// to test/replay/histories/<workflow>-<scenario>-v1.json for the replay tests.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORY_VERSION = 'v1';
export const historiesDir = fileURLToPath(new URL('../../replay/histories/', import.meta.url));
export const recording = (): boolean => process.env.RECORD_HISTORIES === '1';

export async function recordHistory(
  client: Client,
  workflow: string,
  scenario: string,
  workflowId: string,
  runId?: string,
): Promise<void> {
  if (!recording()) return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const file = `${historiesDir}${workflow}-${scenario}-${HISTORY_VERSION}.json`;
  writeFileSync(file, `${historyToJSON(history)}\n`);
  console.log(`[record] ${file} (${history.events?.length ?? 0} events)`);
}
