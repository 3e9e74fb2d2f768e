// What the control worker's report relay does after a host workflow took an underlay report: the record's
// cluster is told the record's address and seq (src/control/cluster-underlay.ts). Workflow tests that send
// reports without the relay call this, so the cluster hears of them as it does in production.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { signalUnderlayChanged, underlayChangeOf } from '../../../src/control/cluster-underlay.js';
import type { HostRecord } from '../../../src/domain/types.js';

export async function tellClusterAsRelay(client: Client, record: HostRecord): Promise<HostRecord> {
  const due = underlayChangeOf(record);
  if (!due) return record;
  try {
    await signalUnderlayChanged(client, due.cluster, due.change);
  } catch (err) {
    // the cluster was deleted: the relay drops the signal too
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return record;
}
