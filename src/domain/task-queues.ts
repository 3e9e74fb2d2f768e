// Task queues of the control plane. Cluster entities (`cluster/<name>`) run on their own queue, served by a
// Worker of their own, so their workflow tasks and queries never wait behind the thousands of host and
// host-join tasks of a large join (issue 11: a GET answers within 1 s at any moment). Everything a cluster
// starts for its hosts (join children, relayed host commands) goes back to the control queue.
import { CONTROL_TASK_QUEUE } from './constants.js';

const CLUSTER_QUEUE_SUFFIX = '-clusters';

/** The queue cluster workflows start on, beside a control queue. */
export const clusterTaskQueue = (controlQueue: string): string => `${controlQueue}${CLUSTER_QUEUE_SUFFIX}`;

/** The control queue a workflow's host work belongs on: its own queue unless that is a cluster queue. */
export const controlQueueOf = (queue: string): string =>
  queue.endsWith(CLUSTER_QUEUE_SUFFIX) ? queue.slice(0, -CLUSTER_QUEUE_SUFFIX.length) : queue;

export const CLUSTER_TASK_QUEUE = clusterTaskQueue(CONTROL_TASK_QUEUE);
