#!/usr/bin/env node
// Runs the compiled CLI when built (Docker image), the TypeScript source through tsx otherwise.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
const compiledAgent = new URL('../dist/agent/main.js', import.meta.url);
let mod;
if (process.argv[2] === 'agent' && existsSync(compiledAgent)) {
  // The agent runs on small edge hosts: load only its modules, not the API, dev server and lab.
  const agent = await import(compiledAgent.href);
  mod = { main: (argv) => agent.agentMain(argv.slice(3)) };
} else if (existsSync(compiled)) {
  mod = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli.ts', import.meta.url).href);
}
process.exitCode = await mod.main(process.argv);
