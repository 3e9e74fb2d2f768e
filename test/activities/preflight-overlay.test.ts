// Issue 14, point 2, on the real kernel (namespaces made here): preflight, given the spec, refuses an overlay
// CIDR over the host's own underlay subnet or over the broker address it reaches the control plane at; and a
// host-join that fails, refused by preflight or after programming started, leaves nothing on the host.
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { createHostActivities } from '../../src/activities/host/index.js';
import { ErrorType } from '../../src/domain/errors.js';
import { processRunner } from '../../src/net/index.js';
import { hostJoinWorkflow } from '../../src/workflows/host-join.js';
import { testSpec } from '../fixtures/overlay-spec.js';
import { createLab, kernelSnapshot, type Lab, notRoot } from '../helpers/netns-lab.js';
import { runningWorker, testClient, uniqueTaskQueue } from '../helpers/temporal.js';

const log = pino({ level: 'silent' });
const BROKER = '100.91.0.2';

/** Every message down an error's cause chain (workflow failure → activity failure → application failure). */
const causes = (err: unknown): string => {
  const out: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    out.push(String(e.message));
  }
  return out.join(' <- ');
};

const links = async (ns: string): Promise<string[]> =>
  (JSON.parse((await execa('ip', ['-n', ns, '-j', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map(
    (l) => l.ifname,
  );

describe.skipIf(notRoot('preflight overlay checks on the kernel'))(
  'preflight: overlay CIDR vs the underlay',
  () => {
    let lab: Lab;
    let acts: HostActivities;
    let subnet: string;
    beforeAll(async () => {
      lab = await createLab({ hosts: 1 });
      const h = lab.hosts[0]!;
      subnet = lab.subnet; // 10.213.S; eth0 is 10.213.S.x/24
      acts = createHostActivities({
        hostId: h.name,
        underlayIface: h.iface,
        netns: h.ns,
        runner: processRunner,
        log,
        brokerAddress: () => BROKER,
      });
    });
    afterAll(() => lab?.cleanup());

    it("refuses a CIDR over the host's own subnet (from the kernel), though its address is outside it", async () => {
      const res = await acts.preflight({
        spec: testSpec({ overlayCidr: `${subnet}.128/25`, prefixLength: 25 }),
      });
      expect(lab.hosts[0]!.underlayIp < `${subnet}.128`).toBe(true);
      expect(res.overlayProblems).toEqual([
        `${subnet}.128/25 overlaps the underlay subnet ${subnet}.0/24 of host h1`,
      ]);
      expect(res.vxlanSupported).toBe(true); // the host itself is fine: only this overlay is refused
    });

    it('refuses a CIDR that holds the broker address the host connects to; accepts a clear one', async () => {
      const res = await acts.preflight({ spec: testSpec({ overlayCidr: '100.91.0.0/24' }) });
      expect(res.overlayProblems).toHaveLength(1);
      expect(res.overlayProblems![0]).toContain(
        `contains the control plane's address ${BROKER} as host h1 reaches it`,
      );
      expect((await acts.preflight({ spec: testSpec() })).overlayProblems).toEqual([]);
      expect((await acts.preflight()).overlayProblems).toBeUndefined(); // no spec: the host alone
    });
  },
);

describe.skipIf(notRoot('failed joins on the kernel'))('a failed join leaves nothing on the host', () => {
  let lab: Lab;
  let acts: HostActivities;
  let client: Awaited<ReturnType<typeof testClient>>;
  let worker: Awaited<ReturnType<typeof runningWorker>>;
  const taskQueue = uniqueTaskQueue('join-undo');
  let failSetPeers = false;

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    const h = lab.hosts[0]!;
    acts = createHostActivities({
      hostId: h.name,
      underlayIface: h.iface,
      netns: h.ns,
      runner: processRunner,
      log,
    });
    client = await testClient();
    // The relay, in process: each relayed command runs on this namespace's real activities.
    const relay =
      <K extends keyof HostActivities>(k: K) =>
      async ({ hostId: _h, ...input }: { hostId: string }) => {
        if (k === 'setPeers' && failSetPeers) {
          throw ApplicationFailure.create({
            type: ErrorType.HostCommandFailed,
            message: 'bridge -batch failed',
            nonRetryable: true,
          });
        }
        return (acts[k] as (i: unknown) => Promise<unknown>)(input);
      };
    const kinds = [
      'preflight',
      'applyOverlay',
      'setPeers',
      'probePeers',
      'teardown',
      'assignVip',
      'releaseVip',
    ] as const;
    worker = await runningWorker({
      taskQueue,
      activities: Object.fromEntries(kinds.map((k) => [k, relay(k)])),
      shutdownGraceTime: '1s',
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.close();
    await lab?.cleanup();
  });

  const join = (overlayCidr: string, vip: string, overlayIp: string) =>
    client.client.workflow.execute(hostJoinWorkflow, {
      taskQueue,
      workflowId: `host-join/undo-${Math.random().toString(36).slice(2, 8)}/h1`,
      args: [
        {
          spec: testSpec({
            clusterName: 'undo',
            overlayCidr,
            prefixLength: Number(overlayCidr.split('/')[1]),
            vip,
          }),
          hostId: 'h1',
          overlayIp,
          peers: [],
          probeTargets: [],
          activityBudgetMs: 20_000,
        },
      ],
    });

  it('refused by preflight: InvalidOverlayConfig with the reason, the kernel untouched', async () => {
    const ns = lab.hosts[0]!.ns;
    const before = await kernelSnapshot(ns);
    const err = await join(`${lab.subnet}.128/25`, `${lab.subnet}.129`, `${lab.subnet}.130`).catch(
      (e: unknown) => e,
    );
    const cause = (err as { cause?: ApplicationFailure }).cause;
    expect(cause?.type).toBe(ErrorType.InvalidOverlayConfig);
    expect(cause?.message).toContain(`overlaps the underlay subnet ${lab.subnet}.0/24`);
    expect(await kernelSnapshot(ns)).toEqual(before);
  });

  it('failing after the overlay was applied: torn down again (no scbr-100, no vxlan device)', async () => {
    const ns = lab.hosts[0]!.ns;
    const before = await kernelSnapshot(ns);
    failSetPeers = true;
    const err = await join('100.64.192.0/24', '100.64.192.1', '100.64.192.2').catch((e: unknown) => e);
    failSetPeers = false;
    expect(causes(err)).toContain('bridge -batch failed');
    expect(await links(ns)).not.toContain('scbr-100');
    expect(await links(ns)).not.toContain('vxlan100');
    expect(await kernelSnapshot(ns)).toEqual(before);
  });
});
