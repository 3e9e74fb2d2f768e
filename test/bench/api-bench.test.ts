// `npm run bench:api -- --quick` end to end (its own Temporal dev server, broker, control worker and API
// child, fake-agent child with one real MQTT session per host, real HTTP): the JSON has the promised shape,
// every host enrolled and answered its commands (every cluster Ready, every host Joined), and the big
// cluster's GETs were answered while it joined.
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
const agents = z.object({
  hosts: z.number().int(),
  started: z.number().int(),
  failedCount: z.number().int(),
  enroll: latency,
  lastOnlineAfterS: z.number().nullable(),
});
const resultSchema = z.object({
  benchmark: z.literal('api'),
  config: z.object({ clusters: z.number(), hostsPerCluster: z.number(), big: z.number() }),
  small: z.object({
    register: phase,
    agents,
    ready: z.object({ clusters: z.number(), ready: z.number(), allReadyAfterS: z.number().nullable() }),
    create: phase.extend({
      asClient: z.object({
        finalStatuses: z.record(z.string(), z.number()),
        askedAgain: z.number().int().nonnegative(),
        maxAttempts: z.number().int().positive(),
        untilFinalMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
      }),
    }),
    get: phase.extend({ everyHostListed: z.boolean(), responseBytesP50: z.number().positive() }),
  }),
  big: z.object({
    hosts: z.number(),
    register: phase,
    agents,
    create: z.object({ status: z.number(), ms: z.number() }),
    admittedAfterS: z.number().nullable(),
    readyAfterS: z.number().nullable(),
    get: z.object({
      requests: z.number().int().positive(),
      maxMs: z.number(),
      overBudget: z.number().int(),
      allWithinBudget: z.boolean(),
      duringCreate: window,
      admitting: window,
      joining: window,
      ready: window,
      responseBytesP50: z.number().positive(),
      firstGetListsEveryHost: z.boolean(),
    }),
    final: z.object({
      status: z.number(),
      hosts: z.number(),
      phase: z.string().nullable(),
      states: z.record(z.string(), z.number()),
    }),
    events: z.object({ status: z.number(), bytes: z.number().positive(), count: z.number() }),
    workflow: z.object({ status: z.string(), historyLength: z.number() }).nullable(),
  }),
  goal: z.object({ bigCreateStatus: z.number(), bigGetWithinBudgetAtAnyMoment: z.boolean() }),
  hostCommands: z.record(z.string(), z.number()),
});

describe('bench:api --quick', () => {
  const log = pino({ level: 'warn' }, pino.destination(2));
  let stack: BenchStack | undefined;
  let result: ApiBenchResult;
  const cfg = { ...QUICK_DEFAULTS, duration: 8 };

  beforeAll(async () => {
    stack = await startBenchStack({ store: 'memory', workflowBundlePath: inject('workflowBundlePath'), log });
    const target = { baseUrl: stack.apiUrl, token: stack.token, timeoutMs: 30_000 };
    const run = { temporalAddress: stack.temporalAddress, agents: stack.agents };
    result = await runApiBench(target, cfg, log, run);
    process.stderr.write(`[bench:api --quick] ${JSON.stringify(result)}\n`);
    // ~90 s on a 2-core machine shared with other test runs (load average ~20); CI is quicker.
  }, 150_000);

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
    // a client that asks again when told to (as the CLI does) ends up with every cluster created
    expect(r.small.create.asClient.finalStatuses).toEqual({ 202: 50 });
    expect(r.small.get.everyHostListed).toBe(true);
    expect(r.big.create.status, JSON.stringify(r.big.create)).toBe(202);
    expect(r.big.get.firstGetListsEveryHost).toBe(true);
    expect(r.big.final).toMatchObject({ status: 200, hosts: 200, phase: 'Ready', states: { Joined: 200 } });
    expect(r.big.events.status).toBe(200);
    expect(r.big.workflow, JSON.stringify(r.big.workflow)).toMatchObject({ status: 'RUNNING' });
  });

  it('runs the control worker and the API in a process each, as production does (--topology split)', async () => {
    const { pids } = stack!;
    expect(pids.api).not.toBeNull();
    expect(pids.api).not.toBe(pids.controlPlane);
    // the API's own process sees the broker (TLS probe, as `edge-overlay api`) and Temporal
    const health = await fetch(`${stack!.apiUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
  });

  it('runs an agent per host that answers like a real one: every cluster Ready with every host Joined', () => {
    const r = resultSchema.parse(result);
    for (const [what, a] of Object.entries({ small: r.small.agents, big: r.big.agents })) {
      expect(a, `${what}: ${JSON.stringify(a)}`).toMatchObject({ started: a.hosts, failedCount: 0 });
      expect(a.enroll.ok, what).toBe(a.hosts);
      expect(a.lastOnlineAfterS, `${what}: the control plane saw the last agent online`).not.toBeNull();
    }
    expect(r.small.agents.hosts).toBe(150);
    expect(r.big.agents.hosts).toBe(200);
    expect(r.small.ready, JSON.stringify(r.small.ready)).toMatchObject({ clusters: 50, ready: 50 });
    expect(r.big.readyAfterS).not.toBeNull();
    // Each of the 350 hosts passed preflight and applied its overlay (a command retried after a timeout on
    // a loaded machine counts twice), and took at least one table.
    expect(r.hostCommands['preflight']).toBeGreaterThanOrEqual(350);
    expect(r.hostCommands['applyOverlay']).toBeGreaterThanOrEqual(350);
    expect(r.hostCommands['setPeers']).toBeGreaterThanOrEqual(350);
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
    expect(parseBenchArgs(['--quick', '--big', '0'])).toMatchObject({ clusters: 50, big: 0, agents: true });
    expect(parseBenchArgs(['--no-agents'])).toMatchObject({ agents: false });
    expect(parseBenchArgs(['--topology', 'combined'])).toMatchObject({ topology: 'combined' });
    expect(() => parseBenchArgs(['--topology', 'both'])).toThrow(/--topology/);
    expect(parseBenchArgs([])).toMatchObject({
      clusters: 1000,
      hostsPerCluster: 3,
      big: 1000,
      concurrency: 16,
      topology: 'split',
    });
    expect(() => parseBenchArgs(['--clusters', 'many'])).toThrow(/--clusters/);
    expect(() => parseBenchArgs(['--big', '1001'])).toThrow(/--big/);
  });
});

// `edge-overlay dev`'s shape: one child runs the worker and the API; the API asks the worker's relay.
describe('bench:api stack, --topology combined', () => {
  let stack: BenchStack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  it("serves the API from the control worker's own process", async () => {
    const log = pino({ level: 'warn' }, pino.destination(2));
    const bundle = inject('workflowBundlePath');
    stack = await startBenchStack({
      store: 'memory',
      workflowBundlePath: bundle,
      log,
      topology: 'combined',
      agents: false,
    });
    expect(stack.pids.api).toBeNull();
    const health = await fetch(`${stack.apiUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', temporal: 'ok', broker: 'ok' });
  }, 120_000);
});
