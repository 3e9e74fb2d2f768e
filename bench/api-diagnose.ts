// What the API cannot say about the big cluster's workflow after the run (the API answers 404 for a
// finished cluster): its status, how it ended, and the activity it is waiting on (e.g. claimHosts on its
// Nth attempt after StartToClose timeouts). Read from our own Temporal dev server on 127.0.0.1.
import { Client, Connection } from '@temporalio/client';

export interface WorkflowDiagnosis {
  status: string;
  historyLength: number;
  /** Failure message of a failed run (the cause chain, outermost first). */
  failure?: string;
  pendingActivities: Array<{ type: string; state: string; attempt: number; lastFailure?: string }>;
}

export async function diagnoseWorkflow(
  address: string,
  workflowId: string,
): Promise<WorkflowDiagnosis | null> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const handle = new Client({ connection }).workflow.getHandle(workflowId);
    const d = await connection.withDeadline(Date.now() + 10_000, () => handle.describe());
    const out: WorkflowDiagnosis = {
      status: d.status.name,
      historyLength: d.historyLength,
      pendingActivities: (d.raw.pendingActivities ?? []).map((a) => ({
        type: a.activityType?.name ?? '?',
        // Scheduled (no worker took it yet) or Started: tells a worker that does not poll from a slow one.
        state: String(a.state ?? '?'),
        attempt: a.attempt ?? 0,
        ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
      })),
    };
    if (d.status.name === 'FAILED' || d.status.name === 'TERMINATED' || d.status.name === 'TIMED_OUT') {
      out.failure = await connection.withDeadline(Date.now() + 10_000, () =>
        handle.result().then(
          () => 'completed',
          (err: unknown) => causeChain(err),
        ),
      );
    }
    return out;
  } catch {
    return null;
  } finally {
    await connection.close();
  }
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) {
    parts.push(`${e.name}: ${e.message}`);
  }
  return parts.join(' <- ').slice(0, 1000);
}
