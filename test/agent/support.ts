// What the agent tests share, so each file only says what it checks: the real control worker and a
// client on the test run's Temporal server, and the forwarder in the lab's control namespace through
// which agents in host namespaces reach that server over the underlay.
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { type ControlForwarder, startControlForwarder } from '../../src/lab/control-forwarder.js';
import { startControlWorker } from '../../src/worker.js';
import type { Lab } from '../helpers/netns-lab.js';
import { temporalAddress, testClient, workflowBundle } from '../helpers/temporal.js';

export interface ControlPlane {
  client: Client;
  stop(): Promise<void>;
}

/** The control worker (host registry, cluster workflows) on the default task queue, and a client. */
export async function startControlPlane(): Promise<ControlPlane> {
  const control = await startControlWorker({
    address: temporalAddress(),
    namespace: 'default',
    log: pino({ level: 'silent' }),
    workflowBundle: workflowBundle(),
  });
  const { client, close } = await testClient().catch(async (err) => {
    await control.stop();
    throw err;
  });
  return {
    client,
    async stop() {
      await close();
      await control.stop();
    },
  };
}

/** Temporal on the lab's control address, port 7233; the lab's cleanup stops the forwarder by PID. */
export async function forwardTemporal(lab: Lab): Promise<ControlForwarder> {
  const fwd = await startControlForwarder({
    ctlNs: lab.ctl!.ns,
    ctlIp: lab.ctl!.ip,
    listenPort: 7233,
    targetPort: Number(temporalAddress().split(':')[1]),
  });
  lab.processes.push(...fwd.pids.map((pid) => ({ pid, expectComm: 'socat' })));
  return fwd;
}
