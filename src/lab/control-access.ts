// How the lab's agents reach the control plane OVER THE UNDERLAY (DESIGN.md "Test lab"): the control
// namespace holds a static address outside every DHCP pool and forwards its API port and its broker port to
// the servers on the root loopback. Agents never talk to Temporal. Stopping the forwarders is the
// "control plane unreachable" case: new connections are refused and live ones end with the forwarders.
import { join } from 'node:path';
import { DEFAULT_BROKER_PORT } from '../contract/host-channel.js';
import { DEFAULT_API_PORT } from '../domain/constants.js';
import { FORWARDER_COMM, startControlForwarder } from './control-forwarder.js';
import { stopPid } from './netns.js';
import { type LabState, saveLabState } from './state.js';

export interface ControlTargets {
  /** Root-loopback ports of the control plane. */
  apiPort: number;
  brokerPort: number;
}

/** What agents are given: `http://<ctlIp>:8080` and `mqtts://<ctlIp>:8883`. */
export const labApiUrl = (state: LabState): string => `http://${state.ctlIp}:${DEFAULT_API_PORT}`;
export const labBrokerUrl = (state: LabState): string => `mqtts://${state.ctlIp}:${DEFAULT_BROKER_PORT}`;
/** The `brokerAdvertise` a control plane serving this lab names at enrollment. */
export const labBrokerAdvertise = (state: LabState): string => `${state.ctlIp}:${DEFAULT_BROKER_PORT}`;

/** Forwarders (control-forwarder.ts): ctlIp:8080 → API and ctlIp:8883 → broker (both on the root loopback). */
export async function startControlAccess(state: LabState, t: ControlTargets): Promise<void> {
  const pids: number[] = [];
  try {
    for (const [listenPort, targetPort] of [
      [DEFAULT_API_PORT, t.apiPort],
      [DEFAULT_BROKER_PORT, t.brokerPort],
    ] as const) {
      const fwd = await startControlForwarder({
        ctlNs: state.ctlNs,
        ctlIp: state.ctlIp,
        listenPort,
        targetPort,
        logFile: join(state.runDir, `forward-${listenPort}.log`),
      });
      pids.push(...fwd.pids);
    }
  } catch (err) {
    await Promise.all(pids.map((pid) => stopPid(pid, { expectComm: FORWARDER_COMM, graceMs: 2000 })));
    throw err;
  }
  state.control = {
    apiUrl: labApiUrl(state),
    brokerUrl: labBrokerUrl(state),
    pids: pids.map((pid) => ({ pid, comm: FORWARDER_COMM })),
  };
  saveLabState(state);
}

/** Stops the forwarders: agents lose the API and the broker (the control-plane-unreachable case). */
export async function stopControlAccess(state: LabState): Promise<void> {
  for (const p of state.control?.pids ?? []) await stopPid(p.pid, { expectComm: p.comm, graceMs: 2000 });
  if (state.control) state.control.pids = [];
  saveLabState(state);
}
