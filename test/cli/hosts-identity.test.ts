import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { parseTtl } from '../../src/cli/hosts.js';
import { claimHostUpdate } from '../../src/contract/workflow-messages.js';
import { hostWorkflowId } from '../../src/domain/ids.js';
import { ProductCa } from '../../src/pki/ca.js';
import { createCsr, generateHostKey } from '../../src/pki/csr.js';
import { runningWorker, testClient, uniqueTaskQueue } from '../helpers/temporal.js';
import { hid } from '../api/identity-helper.js';
import { runCli } from './helper.js';
import { type ListeningApi, listenApi } from './listening-api.js';

const TOKEN = 'cli-identity-token-0123456789';

describe('edge-overlay hosts join-token | delete', () => {
  let tc: Awaited<ReturnType<typeof testClient>>;
  let server: ListeningApi;
  let worker: { stop: () => Promise<void> };
  const revoked: string[] = [];
  const taskQueue = uniqueTaskQueue('cli-identity');
  const api = () => server.cliArgs();

  beforeAll(async () => {
    tc = await testClient();
    const ca = await ProductCa.create();
    server = await listenApi({
      client: tc.client,
      token: TOKEN,
      taskQueue,
      pki: { ca, brokerUrl: 'mqtts://127.0.0.1:8883', revoke: async (s) => void revoked.push(s) },
    });
    worker = await runningWorker({ taskQueue, activities: createControlActivities({ client: tc.client }) });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await tc?.close();
  });

  const enrollWith = async (hostId: string, joinToken: string) => {
    const { privateKeyPem } = generateHostKey();
    return fetch(`${server.url}/v1/hosts/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hostId, joinToken, csr: await createCsr(hostId, privateKeyPem) }),
    });
  };

  it('`join-token` prints the token alone on stdout, and the token enrolls the host once', async () => {
    const hostId = hid('cli');
    const run = await runCli(['hosts', 'join-token', hostId, ...api()]);
    expect(run.code, run.stderr).toBe(0);
    const token = run.stdout.trim();
    expect(run.stdout).toBe(`${token}\n`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(run.stderr).toContain(`join token for ${hostId}, single use, valid until`);
    expect((await enrollWith(hostId, token)).status).toBe(200);
    expect((await enrollWith(hostId, token)).status).toBe(401);
  });

  it('`join-token --json --ttl 90s` prints the API body with the expiry', async () => {
    const hostId = hid('json');
    const before = Date.now();
    const run = await runCli(['hosts', 'join-token', hostId, '--ttl', '90s', '--json', ...api()]);
    expect(run.code, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({ hostId, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const expiresIn = Date.parse(body.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(85_000);
    expect(expiresIn).toBeLessThan(95_000);
    // Options given before the subcommand count too.
    const early = await runCli(['hosts', '--json', 'join-token', hostId, ...api()]);
    expect(JSON.parse(early.stdout).hostId).toBe(hostId);
  });

  it('`delete` deletes and names the revoked certificate; --json prints the API body', async () => {
    const hostId = hid('gone');
    const token = (await runCli(['hosts', 'join-token', hostId, ...api()])).stdout.trim();
    expect((await enrollWith(hostId, token)).status).toBe(200);
    const run = await runCli(['hosts', 'delete', hostId, ...api()]);
    expect(run.code, run.stderr).toBe(0);
    const serial = revoked.at(-1);
    expect(run.stdout).toBe(`host ${hostId} deleted; certificate ${serial} revoked\n`);

    const plain = hid('plain');
    await runCli(['hosts', 'join-token', plain, ...api()]);
    const json = await runCli(['hosts', 'delete', plain, '--json', ...api()]);
    expect(JSON.parse(json.stdout)).toEqual({
      hostId: plain,
      workflowId: hostWorkflowId(plain),
      revokedCertificateSerial: null,
    });
  });

  it('user errors are one line on stderr, a documented exit code, no stack trace', async () => {
    const held = hid('held');
    await runCli(['hosts', 'join-token', held, ...api()]);
    await fetch(`${server.url}/v1/hosts/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ hostId: held, underlayIp: '10.213.4.4' }),
    });
    await tc.client.workflow
      .getHandle(hostWorkflowId(held))
      .executeUpdate(claimHostUpdate, { args: [{ cluster: 'busy' }] });
    const conflict = await runCli(['hosts', 'delete', held, ...api()]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toBe(
      `edge-overlay: delete host ${held}: 409 Conflict: host ${held} belongs to cluster busy\n`,
    );
    const ghost = hid('ghost');
    const missing = await runCli(['hosts', 'delete', ghost, ...api()]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(
      `edge-overlay: delete host ${ghost}: 404 Not Found: host ${ghost} is not registered\n`,
    );
    for (const args of [
      ['hosts', 'join-token', 'Bad_Host', ...api()],
      ['hosts', 'join-token', 'h1', '--ttl', 'soon', ...api()],
      ['hosts', 'join-token', 'h1', '--ttl', '9999h', ...api()],
      ['hosts', 'delete', '../etc', ...api()],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(/^error: /);
      expect(run.stderr).not.toContain('    at ');
    }
    const unauthorized = await runCli([
      'hosts',
      'join-token',
      'h1',
      '--api',
      server.url,
      '--token-file',
      '/dev/null',
    ]);
    expect(unauthorized.code).not.toBe(0);
    expect(unauthorized.stderr).not.toContain('    at ');
  });

  it('parses --ttl into whole seconds within a week', () => {
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('30m')).toBe(1800);
    expect(() => parseTtl('1500ms')).toThrow('whole seconds');
    expect(() => parseTtl('169h')).toThrow('at most 168h');
  });
});
