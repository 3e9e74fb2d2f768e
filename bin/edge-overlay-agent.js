#!/usr/bin/env -S node --max-semi-space-size=1 --jitless
// The host agent alone, for edge hosts: same flags as `edge-overlay agent`, but only the agent's modules
// are loaded (no Temporal SDK). The node flags above are the agent's memory budget (issue 12 point 7,
// RSS < 70 MB; bench:agent runs the agent with exactly this line's flags and measures them):
//   --max-semi-space-size=1  a 1 MB young generation: the agent allocates little and often.
//   --jitless                V8's interpreter only, no optimizing compiler and no executable code pages:
//                            ~13 MB less RSS (node binary code never touched, no optimized code, no
//                            feedback for it), idle CPU unchanged (0.17 → 0.20 %, the agent mostly waits).
//                            No WebAssembly either, so nothing here may use fetch (undici's parser is
//                            wasm): enrollment's request runs in the PKI helper process, started with
//                            plain flags (src/agent/identity/pki-helper.ts).
// A launcher that runs `node <flags> bin/edge-overlay-agent.js` itself (the lab) should pass the same.
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
