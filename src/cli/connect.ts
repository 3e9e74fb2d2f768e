// Options every API-calling command shares (--api, --token-file, --json) and output helpers.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { loadEnv } from '../config/env.js';
import { resolveToken } from '../config/token.js';
import { DEFAULT_API_PORT } from '../domain/constants.js';
import { ApiClient } from './api-client.js';
import { zodParser } from './options.js';

export { durationParser } from './duration.js';

export const DEFAULT_API_URL = `http://127.0.0.1:${DEFAULT_API_PORT}`;
/** Where `edge-overlay dev` (default --data-dir) writes its generated token. */
export const DEV_TOKEN_FILE = '.data/api-token';

export interface ApiFlags {
  api?: string;
  tokenFile?: string;
  json?: boolean;
}

const apiUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://127.0.0.1:8080' })
  .refine((u) => !new URL(u).search, 'must not have a query string');

export function withApiOptions(cmd: Command): Command {
  return cmd
    .option(
      '--api <url>',
      `API base URL (env EDGE_OVERLAY_API_URL, default ${DEFAULT_API_URL})`,
      zodParser(apiUrlSchema),
    )
    .option(
      '--token-file <file>',
      `bearer token file (env EDGE_OVERLAY_TOKEN_FILE, or the token in EDGE_OVERLAY_TOKEN; falls back to ${DEV_TOKEN_FILE})`,
    )
    .option('--json', 'print JSON instead of tables');
}

/** Flags win over the environment; the dev server's token file is the last resort. */
export function connect(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const parsedEnv = loadEnv(env);
  const envUrl = env.EDGE_OVERLAY_API_URL || undefined;
  const baseUrl = flags.api ?? (envUrl ? zodParser(apiUrlSchema)(envUrl) : DEFAULT_API_URL);
  // `lab env` prints EDGE_OVERLAY_TOKEN_FILE (with EDGE_OVERLAY_API_URL) to point the CLI at a lab
  const tokenFile = flags.tokenFile ?? (env.EDGE_OVERLAY_TOKEN_FILE || undefined);
  const fallback = !tokenFile && !parsedEnv.EDGE_OVERLAY_TOKEN && existsSync(DEV_TOKEN_FILE);
  const { token } = resolveToken({
    tokenFile: tokenFile ?? (fallback ? DEV_TOKEN_FILE : undefined),
    envToken: parsedEnv.EDGE_OVERLAY_TOKEN,
  });
  const hint = fallback ? { unauthorizedHint: fallbackTokenHint(resolve(DEV_TOKEN_FILE)) } : {};
  return new ApiClient({ baseUrl, token, ...hint });
}

/** A 401 with the fallback token: nobody chose that token, so say where it came from (the path, never the
 * token). It is `dev`'s and outlives it, while a lab's API takes only the lab's own token. */
const fallbackTokenHint = (path: string): string =>
  [
    `token from ${path}, the fallback: no --token-file, EDGE_OVERLAY_TOKEN_FILE or EDGE_OVERLAY_TOKEN given`,
    'a lab has its own token: eval "$(edge-overlay lab env)"; otherwise pass --token-file FILE',
  ].join('\n');

/** Result on stdout: JSON with --json, text otherwise. */
export function printOut(flags: ApiFlags, json: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

/** Progress on stderr, so `--json` stdout stays one parseable document. */
export function progress(_flags: ApiFlags, line: string): void {
  process.stderr.write(`${line}\n`);
}
