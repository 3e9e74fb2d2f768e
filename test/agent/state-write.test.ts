// The real agent (in process, its commands in a network namespace) against a real control plane (broker,
// control worker, API, its own Temporal): a state write that fails fails the host command with a result of
// type StateWriteFailed, which Temporal retries until the write succeeds; a truncated state file at boot is
// set aside and the agent runs on.
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../src/agent/agent.js';
import { STATE_WRITE_FAILED, stateFileName } from '../../src/agent/state.js';
import { waitFor } from '../../src/dev/process.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { createLab, type Lab, notRoot } from '../helpers/netns-lab.js';
import type { HostCall } from './fixtures/host-call-workflows.js';
import { type AgentTestPlane, startAgentTestPlane } from './support.js';

const spec = testSpec({ clusterName: 'statewrite' });
const overlayIp = '100.64.192.10';
const peers = [{ hostId: 'peer', underlayIp: '10.213.250.9', overlayIp: '100.64.192.11' }];

describe.skipIf(notRoot('state writes fail host commands'))('agent state writes (netns, broker)', () => {
  let lab: Lab;
  let dir: string;
  let tokens: string;
  let hostId: string;
  let agent: Agent | undefined;
  let t: AgentTestPlane;
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });

  const boot = async () => {
    const h = lab.hosts[0]!;
    const enrolled = existsSync(join(dir, 'host.crt'));
    agent = await startAgent({
      hostId,
      underlayIface: h.iface,
      netns: h.ns,
      apiUrl: t.plane.apiUrl,
      brokerUrl: t.plane.broker.url,
      ...(enrolled ? {} : { joinToken: (await t.api.issueJoinToken(hostId)).token }),
      stateDir: dir,
      log,
    });
    await waitFor('agent connected to the broker', async () => agent!.channel.connected(), {
      timeoutMs: 30_000,
    });
  };
  const start = (activity: HostCall['activity'], input: object, maximumAttempts: number) =>
    t.call({ hostId, activity, input, maximumAttempts });
  const breakDir = () => {
    renameSync(dir, `${dir}.bak`);
    writeFileSync(dir, 'the state dir is gone');
  };
  const repairDir = () => {
    rmSync(dir, { force: true });
    renameSync(`${dir}.bak`, dir);
  };
  const stored = () => JSON.parse(readFileSync(join(dir, stateFileName), 'utf8'));

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    hostId = `sw-${lab.id}`;
    tokens = mkdtempSync(join(tmpdir(), 'eo-state-write-'));
    dir = join(tokens, 'state');
    t = await startAgentTestPlane();
    await boot();
  });

  afterAll(async () => {
    await agent?.stop();
    await t?.stop();
    await lab?.cleanup();
    if (dir && existsSync(`${dir}.bak`)) repairDir();
    if (tokens) rmSync(tokens, { recursive: true, force: true });
  });

  it('with the state dir replaced by a file, every overlay command fails with StateWriteFailed', async () => {
    await (await start('applyOverlay', { spec, overlayIp }, 1)).result();
    breakDir();
    try {
      const calls: Array<[HostCall['activity'], object]> = [
        ['applyOverlay', { spec, overlayIp }],
        ['setPeers', { spec, peers }],
        ['assignVip', { spec }],
        ['releaseVip', { spec }],
        ['teardown', { spec }],
      ];
      for (const [activity, input] of calls) {
        const err = await (await start(activity, input, 1)).result().catch((e: unknown) => e);
        expect(err, activity).toBeInstanceOf(WorkflowFailedError);
        const activityFailure = (err as WorkflowFailedError).cause;
        expect(activityFailure, activity).toBeInstanceOf(ActivityFailure);
        const cause = activityFailure?.cause;
        expect(cause, activity).toBeInstanceOf(ApplicationFailure);
        expect((cause as ApplicationFailure).type, activity).toBe(STATE_WRITE_FAILED);
        // retryable: Temporal tries again (next test), the host never marks it final
        expect((cause as ApplicationFailure).nonRetryable, activity).toBe(false);
      }
    } finally {
      repairDir();
    }
    expect(lines.some((l) => l.level === 50 && l.msg === 'state file write failed')).toBe(true);
  });

  it('Temporal retries the failed command; once the state dir is back it succeeds and is saved', async () => {
    breakDir();
    let handle: Awaited<ReturnType<typeof start>>;
    try {
      handle = await start('applyOverlay', { spec, overlayIp }, 100);
      await waitFor(
        'a retry after StateWriteFailed',
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities?.[0];
          return (
            (pending?.attempt ?? 0) >= 2 &&
            pending?.lastFailure?.applicationFailureInfo?.type === STATE_WRITE_FAILED
          );
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
    } finally {
      repairDir();
    }
    expect(await handle.result()).toMatchObject({ vxlanDevice: 'vxlan100' });
    expect(stored()).toMatchObject({ hostId, overlay: { spec, overlayIp } });
  });

  it('a truncated state file at boot is set aside with a warning; the agent runs and saves again', async () => {
    await agent?.stop();
    agent = undefined;
    const text = readFileSync(join(dir, stateFileName), 'utf8');
    writeFileSync(join(dir, stateFileName), text.slice(0, Math.floor(text.length / 2)));
    const from = lines.length;
    await boot(); // resolves: no exception, no exit
    const warn = lines.slice(from).find((l) => l.level === 40 && /state file unusable/.test(l.msg));
    expect(warn?.problem).toMatch(/invalid JSON/);
    expect(readdirSync(dir).filter((n) => n.startsWith(`${stateFileName}.corrupt-`))).toHaveLength(1);
    expect(agent!.store.current().overlay).toBeNull();
    // the control plane sends again: the overlay is saved anew
    await (await start('applyOverlay', { spec, overlayIp }, 3)).result();
    expect(stored()).toMatchObject({ overlay: { overlayIp } });
  });
});
