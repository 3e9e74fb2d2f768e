// Flags of `npm run bench:api`, validated with zod. Defaults are the sizes of issue 11 (1000 clusters of
// 3 hosts, one 1000-host cluster); `--quick` is a CI-sized run (50 × 3, a 200-host cluster). Explicit
// flags win over `--quick`.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { MAX_CLUSTER_HOSTS } from '../src/domain/constants.js';
import { benchTopologySchema } from './api-stack.js';

/** The goal of issue 11 point 5: a GET of the big cluster answers within this, at any moment. */
export const GET_BUDGET_MS = 1000;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const benchConfigSchema = z.strictObject({
  clusters: int(1, 10_000),
  hostsPerCluster: int(1, MAX_CLUSTER_HOSTS),
  /** Hosts of the one big cluster; 0 skips that part. */
  big: int(0, MAX_CLUSTER_HOSTS),
  /** Concurrent HTTP clients for register, create and get. */
  concurrency: int(1, 256),
  /** Seconds (at least) to GET the big cluster once its hosts are joining (admitted, none Pending); with
   * agents the reads go on until it is Ready (at most readyWait). */
  duration: z.coerce.number().min(1).max(600),
  /** Seconds from the big create to wait for its admission when the create did not answer 202 in time. */
  admitWait: z.coerce.number().min(1).max(3600),
  /** Concurrent clients polling the big cluster. */
  bigClients: int(1, 64),
  /** Per-request timeout in seconds (the API's own Temporal deadline is 15 s). */
  timeout: z.coerce.number().min(1).max(600),
  store: z.enum(['file', 'memory']),
  /** Run fake agents that answer host commands over the broker (default); false: no host ever answers
   * (joins wait on their commands' timeouts and retry). */
  agents: z.boolean(),
  /** Seconds to wait for every cluster to be Ready (all hosts Joined) after the creates. */
  readyWait: z.coerce.number().min(1).max(3600),
  /** The control worker and the API in a process each (production's shape) or in one (`dev`'s). */
  topology: benchTopologySchema,
});
export type BenchConfig = z.infer<typeof benchConfigSchema>;

export const FULL_DEFAULTS: BenchConfig = {
  clusters: 1000,
  hostsPerCluster: 3,
  big: 1000,
  concurrency: 16,
  duration: 45,
  admitWait: 300,
  bigClients: 4,
  timeout: 60,
  store: 'file',
  agents: true,
  readyWait: 600,
  topology: 'split',
};

export const QUICK_DEFAULTS: BenchConfig = {
  ...FULL_DEFAULTS,
  clusters: 50,
  big: 200,
  duration: 10,
  admitWait: 60,
  store: 'memory',
  readyWait: 120,
};

export const USAGE = `usage: npm run bench:api -- [--quick] [--clusters N] [--hosts-per-cluster N] [--big N]
  [--concurrency N] [--duration S] [--admit-wait S] [--ready-wait S] [--big-clients N] [--timeout S]
  [--store file|memory] [--no-agents] [--topology split|combined]`;

/** Parses argv (without node and script); throws an Error whose message names every bad flag. */
export function parseBenchArgs(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      clusters: { type: 'string' },
      'hosts-per-cluster': { type: 'string' },
      big: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'admit-wait': { type: 'string' },
      'big-clients': { type: 'string' },
      timeout: { type: 'string' },
      store: { type: 'string' },
      'ready-wait': { type: 'string' },
      'no-agents': { type: 'boolean' },
      topology: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const given = {
    clusters: values.clusters,
    hostsPerCluster: values['hosts-per-cluster'],
    big: values.big,
    concurrency: values.concurrency,
    duration: values.duration,
    admitWait: values['admit-wait'],
    bigClients: values['big-clients'],
    timeout: values.timeout,
    store: values.store,
    readyWait: values['ready-wait'],
    agents: values['no-agents'] ? false : undefined,
    topology: values.topology,
  };
  const explicit = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const parsed = benchConfigSchema.safeParse({
    ...(values.quick ? QUICK_DEFAULTS : FULL_DEFAULTS),
    ...explicit,
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  --${flagName(String(i.path[0]))}: ${i.message}`);
    throw new Error(`invalid flags:\n${issues.join('\n')}\n${USAGE}`);
  }
  return parsed.data;
}

const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
