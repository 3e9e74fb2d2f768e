// The control plane a lab (or a test, a demo, a benchmark) runs beside it: everything on the root loopback
// on free ports, the broker included; agents in the lab reach the API and the broker through the control
// namespace's forwarders, so enrollment names that address as the broker (`brokerAdvertise`).
import type { WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { type ControlPlane, startControlPlane } from '../dev/control-plane.js';
import { freePort, PortInUseError } from '../dev/process.js';
import type { ControlTargets } from './control-access.js';

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
  // A free port can be taken between our pick and the bind (any outgoing connection may get it as its
  // source port): a failed start stops what it made, so pick again, twice at most.
  for (let attempt = 1; ; attempt++) {
    const chosen = new Set<number>();
    try {
      return await startOnce(o, chosen);
    } catch (err) {
      if (!(err instanceof PortInUseError && chosen.has(err.port)) || attempt >= 3) throw err;
      o.log.warn({ port: err.port, attempt }, 'control plane: a free port was taken; retrying');
    }
  }
}

async function startOnce(o: LoopbackPlaneOptions, chosen: Set<number>): Promise<ControlPlane> {
  const pick = async () => {
    const p = await freePort();
    chosen.add(p);
    return p;
  };
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
