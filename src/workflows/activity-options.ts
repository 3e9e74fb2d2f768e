// Activity proxies with timeouts and retries chosen per activity. Host activities run on `host/<hostId>`.
import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { HostActivities } from '../activities/host/contract.js';
import type { ControlActivities } from '../activities/control/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';
import { hostTaskQueue } from '../domain/ids.js';

const retry = (maximumAttempts: number, maximumInterval = '10s'): ActivityOptions['retry'] => ({
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval,
  maximumAttempts,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
});

/** Control activities run on the workflow's own task queue (the control worker's). */
export const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '15s',
  retry: retry(10),
});

export interface HostProxies {
  preflight: HostActivities['preflight'];
  applyOverlay: HostActivities['applyOverlay'];
  setPeers: HostActivities['setPeers'];
  probePeers: HostActivities['probePeers'];
  assignVip: HostActivities['assignVip'];
  releaseVip: HostActivities['releaseVip'];
  teardown: HostActivities['teardown'];
}

/** `budgetMs` bounds each activity including retries (schedule-to-close), so a dead host cannot hold a
 * fan-out forever; retries inside the budget ride out an agent that is reconnecting. */
export function hostActivities(hostId: string, budgetMs: number): HostProxies {
  const taskQueue = hostTaskQueue(hostId);
  const opts = (startToClose: string, attempts: number, budget = budgetMs): ActivityOptions => ({
    taskQueue,
    startToCloseTimeout: startToClose,
    scheduleToCloseTimeout: budget,
    retry: retry(attempts),
  });
  const pick = <K extends keyof HostActivities>(k: K, o: ActivityOptions) =>
    proxyActivities<HostActivities>(o)[k];
  return {
    preflight: pick('preflight', opts('30s', 5)),
    applyOverlay: pick('applyOverlay', opts('60s', 10)),
    setPeers: pick('setPeers', opts('30s', 20)),
    probePeers: pick('probePeers', opts('30s', 3)),
    assignVip: pick('assignVip', opts('20s', 10)),
    // Best effort on a host that is probably gone: two short tries.
    releaseVip: pick('releaseVip', opts('10s', 2, Math.min(budgetMs, 20_000))),
    teardown: pick('teardown', opts('60s', 5)),
  };
}
