#!/usr/bin/env -S node --max-semi-space-size=1
// The host agent alone, for edge hosts: same flags as `edge-overlay agent`, but only the agent's modules
// are loaded (no Temporal SDK) and V8's young generation is kept small (the flag above); see bench:agent.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// EDGE_OVERLAY_AGENT_MAIN: a compiled main.js elsewhere (bench:agent builds one); else ../dist, else tsx.
const compiled = process.env.EDGE_OVERLAY_AGENT_MAIN
  ? pathToFileURL(process.env.EDGE_OVERLAY_AGENT_MAIN)
  : new URL('../dist/agent/main.js', import.meta.url);
let mod;
if (existsSync(compiled)) {
  mod = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/agent/main.ts', import.meta.url).href);
}
process.exitCode = await mod.agentMain(process.argv.slice(2));
