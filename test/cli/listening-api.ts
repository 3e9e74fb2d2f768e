// The API listening on a loopback port with its admin token in a 0600 temp file: what the CLI tests reach
// the way a user does (`--api URL --token-file FILE`). close() stops the server and removes the temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ApiDeps } from '../../src/api/app.js';
import { type ApiServer, startApiServer } from '../../src/api/server.js';
import { freePort } from '../../src/dev/process.js';

export interface ListeningApi {
  server: ApiServer;
  url: string;
  /** The temp dir holding the token file; tests may put their own files here (removed by close()). */
  dir: string;
  tokenFile: string;
  /** `--api URL --token-file FILE`, for runCli. */
  cliArgs(): string[];
  close(): Promise<void>;
}

export async function listenApi(
  deps: Pick<ApiDeps, 'client' | 'token' | 'taskQueue'> & Partial<Pick<ApiDeps, 'uiBaseUrl' | 'pki'>>,
): Promise<ListeningApi> {
  const dir = mkdtempSync(join(tmpdir(), 'eo-cli-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${deps.token}\n`, { mode: 0o600 });
  let server: ApiServer;
  try {
    server = await startApiServer(
      { uiBaseUrl: null, ...deps, log: pino({ level: 'silent' }), namespace: 'default' },
      '127.0.0.1',
      await freePort(),
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    server,
    url: server.url,
    dir,
    tokenFile,
    cliArgs: () => ['--api', server.url, '--token-file', tokenFile],
    close: async () => {
      try {
        await server.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
