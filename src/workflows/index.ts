// The worker's workflowsPath points here: every workflow type is re-exported from this module.
export { hostWorkflow } from './host.js';
