// The lab's helper processes (mesh-prober.ts, forwarder-process.ts) take their settings from the environment
// their starter gives them; a missing one is the starter's bug, said by name.

/** process.env[name], or an error naming it when it is unset or empty. */
export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}
