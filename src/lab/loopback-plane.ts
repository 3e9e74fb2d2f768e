// The control plane a lab (or a test, a demo, a benchmark) runs beside it: everything on the root loopback
// on free ports, the broker included; agents in the lab reach the API and the broker through the control
// namespace's forwarders, so enrollment names that address as the broker (`brokerAdvertise`).
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { type ControlPlane, startControlPlane } from '../dev/control-plane.js';
import { withPickedPorts } from '../dev/process.js';
import type { ControlTargets } from './control-access.js';
import { LAB_BROKER_NICE, LAB_TEMPORAL_NICE, reniceProcess } from './host-priority.js';

export interface LoopbackPlaneOptions {
  dataDir: string;
  token: string;
  log: Logger;
  /** HOST:PORT agents are told to dial (labBrokerAdvertise); default the loopback broker itself. */
  brokerAdvertise?: string;
  namespace?: string;
  /** Fixed root-loopback ports (default free ones). */
  apiPort?: number;
  uiPort?: number;
  workflowBundle?: WorkflowBundleOption;
}

export async function startLoopbackControlPlane(o: LoopbackPlaneOptions): Promise<ControlPlane> {
  // A picked port can be taken before its server binds it: the start is tried again (withPickedPorts).
  const plane = await withPickedPorts(
    '127.0.0.1',
    (pick) => startOnce(o, pick),
    (port, attempt) => o.log.warn({ port, attempt }, 'control plane: a free port was taken; retrying'),
  );
  // Ahead of the control worker and the API in this process's session, not of the lab's hosts (each host
  // process is a session of its own: host-priority.ts). Without root (a lab needs it anyway) they keep the
  // control plane's priority.
  const raised =
    reniceProcess(plane.broker.pid, LAB_BROKER_NICE) && reniceProcess(plane.temporal.pid, LAB_TEMPORAL_NICE);
  if (!raised) o.log.debug('broker and Temporal priorities not raised');
  return plane;
}

async function startOnce(o: LoopbackPlaneOptions, pick: () => Promise<number>): Promise<ControlPlane> {
  return startControlPlane({
    host: '127.0.0.1',
    apiPort: o.apiPort || (await pick()),
    temporalPort: await pick(),
    uiPort: o.uiPort || (await pick()),
    brokerPort: 0,
    ...(o.brokerAdvertise ? { brokerAdvertise: o.brokerAdvertise } : {}),
    dataDir: o.dataDir,
    namespace: o.namespace ?? 'default',
    token: o.token,
    log: o.log,
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : {}),
  });
}

/** The root-loopback ports the lab's forwarders point at. */
export const controlTargets = (plane: ControlPlane): ControlTargets => ({
  apiPort: Number(new URL(plane.apiUrl).port),
  brokerPort: plane.broker.port,
});
