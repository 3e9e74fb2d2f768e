// GET /v1/clusters: running cluster workflows from visibility, with their search attributes.
import { clusterWorkflowType } from '../contract/workflow-messages.js';
import { ClusterNameAttr, ClusterPhaseAttr, HostCountAttr } from '../temporal/search-attributes.js';
import type { ApiContext } from './context.js';

const CLUSTER_ID_PREFIX = 'cluster/';

export async function listClusters(ctx: ApiContext) {
  const query = `WorkflowType = '${clusterWorkflowType}' AND ExecutionStatus = 'Running'`;
  const out = [];
  for await (const wf of ctx.client.workflow.list({ query })) {
    const attrs = wf.typedSearchAttributes;
    const name = attrs.get(ClusterNameAttr) ?? wf.workflowId.slice(CLUSTER_ID_PREFIX.length);
    out.push({
      name,
      phase: attrs.get(ClusterPhaseAttr) ?? null,
      hostCount: attrs.get(HostCountAttr) ?? null,
      workflowId: wf.workflowId,
      uiUrl: ctx.uiUrl(wf.workflowId),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
