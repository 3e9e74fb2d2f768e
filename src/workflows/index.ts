// The worker's workflowsPath points here: every workflow type is re-exported from this module.
export { clusterWorkflow } from './cluster.js';
export { hostWorkflow } from './host.js';
export { hostJoinWorkflow } from './host-join.js';
