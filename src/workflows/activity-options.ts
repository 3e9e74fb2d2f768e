// Activity proxies with timeouts and retries chosen per activity. Host activities run on `host/<hostId>`
// (the agent was a Temporal worker) until a run opts into the host channel (useHostRelay): from then on
// they run on the control worker's own task queue, addressed by hostId, and are completed when the host's
// result arrives over the broker (src/control).
import { type ActivityOptions, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { HostActivities, SetPeersResult } from '../activities/host/contract.js';
import type { HostRelayActivities, RelaySetPeersInput } from '../contract/host-relay.js';
import type { ControlActivities } from '../activities/control/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors.js';
import { hostTaskQueue } from '../domain/ids.js';
import { controlQueueOf } from '../domain/task-queues.js';

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
  /** A reference only through the relay (hostRelayInUse): a host's own worker (v1) needs the table. */
  setPeers: (input: RelaySetPeersInput) => Promise<SetPeersResult>;
  probePeers: HostActivities['probePeers'];
  assignVip: HostActivities['assignVip'];
  releaseVip: HostActivities['releaseVip'];
  teardown: HostActivities['teardown'];
}

/** Relayed host commands are heartbeated by the relay while it waits for the host (control/pending-commands).
 * Under overload the Temporal server recorded an attempt as started but never handed it to the control worker
 * (20 hosts renumbered, load ~30: its AddActivityTask timed out): no command went out and the attempt waited its
 * whole 30 s start-to-close. Now it ends after this and the retry publishes the command. Timeouts are not part
 * of the replay check, so histories recorded before it replay unchanged. */
export const RELAY_HEARTBEAT_TIMEOUT = '10s';

/** v5 (host channel v2): the patch every run that relays host commands through the control worker records. */
export const HOST_CHANNEL_PATCH = 'host-channel-v2';

// Module state is per workflow run (the SDK isolates each run's globals), so this is the run's choice,
// made once at its start right after patched(HOST_CHANNEL_PATCH): old histories never call it.
let relayed = false;
/** From now on this run sends host commands through the control worker's relay (DESIGN.md v2). */
export function useHostRelay(): void {
  relayed = true;
}
export const hostRelayInUse = (): boolean => relayed;

/** v6: the patch every cluster run records that sends its host work (join children, relayed host commands)
 * to the control queue, so the run itself may live on a cluster queue of its own (domain/task-queues). */
export const CLUSTER_QUEUE_PATCH = 'cluster-task-queue';

// Per run, like `relayed`: decided once at the start of a cluster run; old histories never call it.
let hostWorkToControlQueue = false;
export function sendHostWorkToControlQueue(): void {
  hostWorkToControlQueue = true;
}
/** The queue this run's host work goes to: the control queue beside its own (v6), or its own queue. */
export function hostWorkQueue(): string {
  const own = workflowInfo().taskQueue;
  return hostWorkToControlQueue ? controlQueueOf(own) : own;
}
/** Claims since v6: admitting 1000 hosts is 1000 updates on host workflows at once; on a loaded server a
 * chunk outlived the 15 s start-to-close and every retry claimed all over again, so admission never ended
 * (bench:api at 1000 hosts). Claims are idempotent; a longer attempt lets the first one finish. */
const claims = proxyActivities<Pick<ControlActivities, 'claimHosts'>>({
  startToCloseTimeout: '90s',
  retry: retry(10),
});
export const claimActivities = (): Pick<ControlActivities, 'claimHosts'> =>
  hostWorkToControlQueue ? claims : control;

/** Start options of a host-join child: on the control queue since v6, the parent's queue before. */
export const childQueueOptions = (): { taskQueue?: string } =>
  hostWorkToControlQueue ? { taskQueue: hostWorkQueue() } : {};

/** `budgetMs` bounds each activity including retries (schedule-to-close), so a dead host cannot hold a
 * fan-out forever; retries inside the budget ride out an agent that is reconnecting. */
export function hostActivities(hostId: string, budgetMs: number): HostProxies {
  if (relayed) return relayActivities(hostId, budgetMs);
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
    setPeers: v1SetPeers(pick('setPeers', opts('30s', 20))),
    probePeers: pick('probePeers', opts('30s', 3)),
    assignVip: pick('assignVip', opts('20s', 10)),
    // Best effort on a host that is probably gone: two short tries.
    releaseVip: pick('releaseVip', opts('10s', 2, Math.min(budgetMs, 20_000))),
    teardown: pick('teardown', opts('60s', 5)),
  };
}

/** A host's own worker (v1) is given the table itself: runs without the relay never make references. */
const v1SetPeers =
  (setPeers: HostActivities['setPeers']) =>
  (input: RelaySetPeersInput): Promise<SetPeersResult> => {
    if (!input.peers) throw new Error('setPeers: a peer table reference needs the host relay');
    return setPeers({ ...input, peers: input.peers });
  };

/** The same commands through the relay: same names, timeouts and retries; each input names its host. With
 * async completion a host that is away keeps its command in its broker session; a retry after the
 * start-to-close timeout publishes it again (commands are idempotent, peer tables carry a version). */
function relayActivities(hostId: string, budgetMs: number): HostProxies {
  const taskQueue = hostWorkQueue();
  // Attempts are not counted here: a host whose agent has no broker session yet fails an attempt at once
  // (HostNotConnected), and an agent that starts a minute after the cluster must still join. The budget
  // (schedule-to-close) bounds every command; non-retryable failures end it at once.
  const { maximumAttempts: _unbounded, ...untilBudget } = retry(1)!;
  const opts = (startToClose: string, _attempts: number, budget = budgetMs): ActivityOptions => ({
    taskQueue,
    startToCloseTimeout: startToClose,
    heartbeatTimeout: RELAY_HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: budget,
    retry: untilBudget,
  });
  const relay = <K extends keyof HostRelayActivities>(k: K, o: ActivityOptions) =>
    proxyActivities<HostRelayActivities>(o)[k];
  const at = { hostId };
  const preflight = relay('preflight', opts('30s', 5));
  const applyOverlay = relay('applyOverlay', opts('60s', 10));
  const setPeers = relay('setPeers', opts('30s', 20));
  const probePeers = relay('probePeers', opts('30s', 3));
  const assignVip = relay('assignVip', opts('20s', 10));
  const releaseVip = relay('releaseVip', opts('10s', 2, Math.min(budgetMs, 20_000)));
  const teardown = relay('teardown', opts('60s', 5));
  return {
    preflight: (input) => preflight({ ...at, ...input }),
    applyOverlay: (input) => applyOverlay({ ...at, ...input }),
    // Workflow time only moves forward (also across continue-as-new): a later table has a later version,
    // and the agent never lets an older table overwrite a newer one. A retry carries the same version.
    setPeers: (input) => setPeers({ ...at, ...input, version: input.version ?? Date.now() }),
    probePeers: (input) => probePeers({ ...at, ...input }),
    assignVip: (input) => assignVip({ ...at, ...input }),
    releaseVip: (input) => releaseVip({ ...at, ...input }),
    teardown: (input) => teardown({ ...at, ...input }),
  };
}
