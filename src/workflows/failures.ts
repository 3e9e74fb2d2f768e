// What went wrong, as data for events and conditions: the innermost failure's type and message.
import { ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

export interface FailureInfo {
  type: string;
  message: string;
}

export function describeFailure(err: unknown): FailureInfo {
  let cur: unknown = err;
  let last: FailureInfo = { type: 'Unknown', message: String(err) };
  for (let depth = 0; cur instanceof Error && depth < 10; depth++) {
    if (cur instanceof ApplicationFailure)
      last = { type: cur.type ?? 'ApplicationFailure', message: cur.message };
    else if (cur instanceof TimeoutFailure)
      last = { type: `Timeout:${cur.timeoutType}`, message: cur.message };
    else
      last = { type: last.type === 'Unknown' ? cur.name : last.type, message: cur.message || last.message };
    cur = cur.cause;
  }
  return last;
}
