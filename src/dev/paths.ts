// Where the project keeps its own tools and data, relative to the repository root.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file whether it runs from src/ (tsx) or dist/ (compiled). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class MissingToolError extends Error {
  constructor(tool: string, hint: string) {
    super(`${tool} not found: ${hint}`);
    this.name = 'MissingToolError';
  }
}

/** The Temporal CLI that scripts/setup.sh installs (`go install …/temporal@v1.5.1` into .tools/bin). */
export function temporalBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env['EDGE_OVERLAY_TEMPORAL_BIN'], join(repoRoot, '.tools', 'bin', 'temporal')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new MissingToolError(
    'Temporal CLI',
    `expected ${candidates.filter(Boolean).join(' or ')}; run "bash scripts/setup.sh" to install it`,
  );
}
