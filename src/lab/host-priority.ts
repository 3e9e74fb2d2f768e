// What a lab host runs (its agent, its DHCP client) runs at a lower CPU priority than the control plane.
// On a real site every agent has a machine of its own; in the lab 20 agents and their DHCP clients share
// two cores with Temporal, the broker and the control worker, and a renumbering wakes all of them at once:
// at equal priority the control plane's workflow tasks and queries waited seconds for the CPU (traced:
// .scratch/convergence-trace.md). The probes that time the overlay (mesh-prober) are NOT lowered: a
// starved prober would send late and make the overlay look back later than it was.
// EDGE_OVERLAY_LAB_NICE overrides it (0: same priority as the control plane, for comparison).

export const DEFAULT_LAB_HOST_NICE = 10;

export function labHostNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.EDGE_OVERLAY_LAB_NICE;
  if (raw === undefined || raw === '') return DEFAULT_LAB_HOST_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new Error(`EDGE_OVERLAY_LAB_NICE must be an integer from 0 to 19 (got '${raw}')`);
  return n;
}
