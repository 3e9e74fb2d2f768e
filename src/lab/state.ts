// The lab's run-dir state file (lab.json): everything `lab down` / `lab outage` need to find the
// namespaces and the PIDs of a lab started by another process. Written atomically after every change.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const pidSchema = z.object({ pid: z.number().int().positive(), comm: z.string() });
export type TrackedPid = z.infer<typeof pidSchema>;

const hostSchema = z.object({
  hostId: z.string(),
  ns: z.string(),
  iface: z.string(),
  switchPort: z.string(),
  mac: z.string(),
  /** Only without DHCP. */
  staticIp: z.string().optional(),
  udhcpc: pidSchema.optional(),
  agent: pidSchema.optional(),
});
export type LabHost = z.infer<typeof hostSchema>;

/** 2: agents reach the API and the broker (not Temporal) through the control namespace. */
export const LAB_STATE_VERSION = 2;

export const labStateSchema = z.object({
  version: z.literal(LAB_STATE_VERSION),
  id: z.string(),
  runDir: z.string(),
  switchNs: z.string(),
  bridge: z.string(),
  dhcpNs: z.string(),
  ctlNs: z.string(),
  subnetPrefix: z.string(),
  prefixLength: z.number().int(),
  ctlIp: z.string(),
  dhcpIp: z.string(),
  dhcp: z.boolean(),
  /** Two disjoint pools: every outage switches to the other, so every address changes. */
  pools: z.array(z.tuple([z.string(), z.string()])).length(2),
  activePool: z.number().int().min(0).max(1),
  hosts: z.array(hostSchema),
  dnsmasq: pidSchema.optional(),
  hookPath: z.string().optional(),
  /** Forwarders from the control namespace to the root-loopback API and broker, and what agents dial. */
  control: z
    .object({
      apiUrl: z.string(),
      brokerUrl: z.string(),
      pids: z.array(pidSchema),
    })
    .optional(),
  /** The `lab up` process holding the control plane, when there is one. */
  owner: pidSchema.optional(),
  /** A CLI lab's name (`lab up --name`); tests' and benchmarks' labs have none. */
  name: z.string().optional(),
  /** Where a copy of this file is kept outside the run dir (names.ts LAB_REGISTRY_DIR). */
  registryFile: z.string().optional(),
  /** The control plane `lab up` runs on the root loopback: what the CLI needs, and its child processes
   * (Temporal, mosquitto) so a lab whose `lab up` was killed can still be cleaned. */
  plane: z
    .object({
      apiUrl: z.string(),
      uiUrl: z.string().nullable(),
      temporalAddress: z.string(),
      brokerUrl: z.string(),
      tokenFile: z.string(),
      pids: z.array(pidSchema),
    })
    .optional(),
  /** Anything else started inside the lab (etcd members, test servers). */
  extra: z.array(pidSchema).default([]),
});
export type LabState = z.infer<typeof labStateSchema>;

export const stateFile = (runDir: string): string => join(runDir, 'lab.json');

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export function saveLabState(state: LabState): void {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  writeAtomically(stateFile(state.runDir), text);
  if (state.registryFile) {
    mkdirSync(dirname(state.registryFile), { recursive: true, mode: 0o700 });
    writeAtomically(state.registryFile, text);
  }
}

/** A state file (lab.json or a registry copy) that parses, or null. */
export function readLabStateFile(file: string): LabState | null {
  try {
    const parsed = labStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function loadLabState(runDir: string): LabState {
  const file = stateFile(runDir);
  if (!existsSync(file))
    throw new Error(`no lab in ${runDir} (missing lab.json): run "edge-overlay lab up" first`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (raw.version !== LAB_STATE_VERSION)
    throw new Error(
      `${file} was written by another version of the lab (${String(raw.version)}): stop its processes and delete its namespaces (ip netns list) by hand`,
    );
  return labStateSchema.parse(raw);
}
