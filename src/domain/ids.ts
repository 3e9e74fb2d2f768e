// Workflow ids and task queues are part of the fixed contract (DESIGN.md).
export const clusterWorkflowId = (name: string): string => `cluster/${name}`;
export const hostJoinWorkflowId = (cluster: string, hostId: string): string =>
  `host-join/${cluster}/${hostId}`;
export const hostWorkflowId = (hostId: string): string => `host/${hostId}`;
export const hostTaskQueue = (hostId: string): string => `host/${hostId}`;
