// The parent's handle on the fake-agent child of `npm run bench:api` (bench/api-agents.ts): start agents
// for hosts, ask what they were told to do, stop the child by PID.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { repoRoot } from '../src/dev/paths.js';
import { execa, stopChild } from '../src/dev/process.js';

/** Environment of the child. */
export const AGENTS_ENV = {
  apiUrl: 'EO_BENCH_AGENTS_API',
  token: 'EO_BENCH_AGENTS_TOKEN',
  logLevel: 'EO_BENCH_AGENTS_LOG_LEVEL',
} as const;

/** What the child answers to a start (see startHosts in bench/api-agents.ts). */
export interface AgentsStarted {
  hosts: number;
  started: number;
  running: number;
  totalMs: number;
  perSecond: number;
  joinToken: Record<string, unknown>;
  enroll: Record<string, unknown>;
  failed: Array<{ hostId: string; error: string }>;
  retried: number;
  failedCount: number;
}

export interface AgentFleet {
  pid: number;
  /** Enrolls each host over the API and connects its agent; resolves when every one is connected (or
   * failed: see failedCount). */
  start(hosts: Array<{ hostId: string; underlayIp: string }>, concurrency: number): Promise<AgentsStarted>;
  /** Host commands handled so far, per kind, over every agent. */
  commands(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startAgentFleet(o: {
  apiUrl: string;
  token: string;
  log: Logger;
  logLevel?: string;
}): Promise<AgentFleet> {
  const child = execa(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/api-agents.ts')], {
    cwd: repoRoot,
    env: {
      [AGENTS_ENV.apiUrl]: o.apiUrl,
      [AGENTS_ENV.token]: o.token,
      [AGENTS_ENV.logLevel]: o.logLevel ?? 'warn',
    },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
    cleanup: true,
  });
  const waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  let ready: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const readyP = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg['ready'] === true) return ready();
    if (msg['progress']) return o.log.info({ what: 'agents', ...(msg['progress'] as object) }, 'progress');
    const id = msg['id'];
    if (typeof id === 'number') waiting.get(id)?.(msg);
    waiting.delete(id as number);
  });
  void child.then((r) => {
    const err = new Error(`fake agents exited (code ${r.exitCode})`);
    failed(err);
    for (const w of waiting.values()) w({ error: err.message });
    waiting.clear();
  });
  const stop = () => stopChild(child, 30_000);
  const timer = setTimeout(() => failed(new Error('fake agents not ready within 120 s')), 120_000);
  try {
    await readyP;
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  o.log.info({ pid: child.pid }, 'fake agents up');

  let next = 1;
  const ask = (req: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      waiting.set(id, (msg) =>
        typeof msg['error'] === 'string' ? reject(new Error(msg['error'])) : resolve(msg),
      );
      child.stdin!.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  return {
    pid: child.pid!,
    start: async (hosts, concurrency) => {
      const { id: _id, ...answer } = await ask({ start: hosts, concurrency });
      return answer as unknown as AgentsStarted;
    },
    commands: async () => (await ask({ stats: true }))['commands'] as Record<string, number>,
    stop,
  };
}
