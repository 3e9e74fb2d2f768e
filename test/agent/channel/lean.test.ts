// The agent's identity and channel must not load the Temporal SDK (issue 12 point 7: the v2 agent has
// no Temporal and stays under 70 MB). Walks the runtime imports (type-only imports erased, dynamic
// imports followed) from both entry points through the source tree.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRIES = ['src/agent/channel/index.ts', 'src/agent/identity/index.ts'];

/** Runtime import specifiers of one file: static (not `import type` / `export type`) and dynamic. */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  const statics = /^\s*(import|export)\s+(?!type\s)([^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statics)) found.push(m[3]!);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function packagesReached(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>(); // package → first file importing it
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else if (!spec.startsWith('node:') && !packages.has(spec))
        packages.set(spec, file.slice(ROOT.length + 1));
    }
  }
  return packages;
}

describe('agent identity and channel stay lean', () => {
  it('reach no @temporalio package at runtime', () => {
    const packages = packagesReached(ENTRIES);
    expect([...packages.keys()]).toContain('mqtt'); // the walk does reach the dependencies
    const temporal = [...packages].filter(([p]) => p.startsWith('@temporalio/'));
    expect(temporal).toEqual([]);
  });

  it('the whole agent process (src/agent/main.ts) never loads the X.509 library nor the Temporal SDK', () => {
    // CSRs and the enrollment request run in the PKI helper process (src/agent/identity/pki-helper.ts):
    // @peculiar/x509 and its reflect-metadata polyfill would stay in the agent's memory for good.
    const packages = packagesReached(['src/agent/main.ts']);
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['mqtt', 'execa', 'pino']));
    const heavy = [...packages].filter(
      ([p]) => p.startsWith('@temporalio/') || p === '@peculiar/x509' || p === 'reflect-metadata',
    );
    expect(heavy).toEqual([]);
    // …while the helper does reach it (the walk would see it if the agent imported the helper's main)
    expect([...packagesReached(['src/agent/identity/pki-helper-main.ts']).keys()]).toContain(
      'reflect-metadata',
    );
  });

  it('the walker sees through type-only imports and follows dynamic ones', () => {
    const src = [
      "import type { Client } from '@temporalio/client';",
      "export type { X } from './x.js';",
      "import { a } from './a.js';",
      "const m = await import('../pki/csr.js');",
      "import mqtt, { type IClientOptions } from 'mqtt';",
    ].join('\n');
    expect(runtimeImports(src)).toEqual(['./a.js', 'mqtt', '../pki/csr.js']);
  });
});
