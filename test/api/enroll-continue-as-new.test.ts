// A host's join tokens and certificate survive continue-as-new of `host/<hostId>` (carried in its input
// as digests and a serial, never as the token).
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostWorkflowId } from '../../src/domain/ids.js';
import {
  buildIdentityApi,
  enroll,
  hid,
  historyText,
  hostCsr,
  type IdentityApi,
  issueToken,
} from './identity-helper.js';

describe('identity across continue-as-new', () => {
  let api: IdentityApi;
  beforeAll(async () => {
    api = await buildIdentityApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const register = (hostId: string, i: number) =>
    api.admin({
      method: 'POST',
      url: '/v1/hosts/register',
      payload: { hostId, underlayIp: `10.213.8.${i}` },
    });
  /** Registers with new addresses until the workflow has continued as new `runs` more times. */
  async function pushRuns(hostId: string, runs: number): Promise<void> {
    const handle = api.client.workflow.getHandle(hostWorkflowId(hostId));
    const start = (await handle.describe()).runId;
    const seen = new Set([start]);
    for (let i = 1; i < 200 && seen.size <= runs; i++) {
      expect((await register(hostId, (i % 250) + 1)).statusCode).toBe(200);
      seen.add((await handle.describe()).runId);
    }
    expect(seen.size).toBeGreaterThan(runs);
  }

  it('keeps outstanding tokens, used digests and the serial', async () => {
    const hostId = hid('can');
    await api.client.workflow.start('hostWorkflow', {
      taskQueue: api.taskQueue,
      workflowId: hostWorkflowId(hostId),
      args: [{ hostId, continueAsNewAfterEvents: 15 }],
    });
    const first = (await issueToken(api, hostId)).json().token;
    const second = (await issueToken(api, hostId)).json().token;
    await pushRuns(hostId, 1);

    const res = await enroll(api, { hostId, joinToken: first, csr: (await hostCsr(hostId)).csr });
    expect(res.statusCode, res.body).toBe(200);
    const serial = new X509Certificate(res.json().certificate).serialNumber.toLowerCase();
    await pushRuns(hostId, 1);

    // Still used after the run changed; the second token is still good; the serial is still known.
    const replay = await enroll(api, { hostId, joinToken: first, csr: (await hostCsr(hostId)).csr });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().detail).toContain('already used');
    const again = await enroll(api, { hostId, joinToken: second, csr: (await hostCsr(hostId)).csr });
    expect(again.statusCode).toBe(200);
    expect(api.revoked).toContain(serial); // the replaced certificate
    const current = new X509Certificate(again.json().certificate).serialNumber.toLowerCase();

    const history = await historyText(api.client, hostId);
    expect(history).toContain('usedHashes'); // identity carried in a continue-as-new input
    for (const token of [first, second]) expect(history).not.toContain(token);
    expect(history).not.toContain('PRIVATE KEY');

    const deleted = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(deleted.json().revokedCertificateSerial).toBe(current);
  });
});
