#!/usr/bin/env node
// Runs the compiled CLI when built (Docker image), the TypeScript source through tsx otherwise.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
let mod;
if (existsSync(compiled)) {
  mod = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(new URL('../src/cli.ts', import.meta.url).href);
}
process.exitCode = await mod.main(process.argv);
