// A scripted stand-in for the API (answers chosen per request, e.g. a 503 or a dropped connection between
// good answers) and the CLI as a child process, for the long-running commands that end on Ctrl-C.
import { execa, type ResultPromise } from 'execa';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../../src/dev/process.js';

export type StubHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface StubApi {
  url: string;
  /** Requests answered so far, as "METHOD /path?query". */
  requests: string[];
  close(): Promise<void>;
}

export async function startStubApi(handler: StubHandler): Promise<StubApi> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

export const problem = (status: number, title: string, detail: string) => ({
  type: 'about:blank',
  title,
  status,
  detail,
});

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;

export interface CliChild {
  child: ResultPromise<{ reject: false; buffer: false }>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout satisfies the predicate. */
  until(what: string, ok: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliChild {
  const child = execa('node', [bin, ...args], {
    reject: false,
    buffer: false,
    env: { EDGE_OVERLAY_LOG_FORMAT: 'json', ...env },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    until: (what, ok, timeoutMs = 30_000) =>
      waitFor(what, async () => ok(out), {
        timeoutMs,
        intervalMs: 50,
        fatal: () =>
          child.exitCode === null ? null : new Error(`CLI exited (${child.exitCode}) before ${what}: ${err}`),
      }),
  };
}
