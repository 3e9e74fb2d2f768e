// DELETE /v1/hosts/:hostId against the real dev server: the host leaves the inventory, its workflow
// ends and its certificate is revoked; refused while the host is in a cluster; 404 for unknown hosts.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimHostUpdate, hostRecordQuery } from '../../src/contract/workflow-messages.js';
import { hostWorkflowId } from '../../src/domain/ids.js';
import { problemOf } from './helper.js';
import { buildIdentityApi, enroll, hid, hostCsr, type IdentityApi, issueToken } from './identity-helper.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DELETE /v1/hosts/:hostId', () => {
  let api: IdentityApi;
  beforeAll(async () => {
    api = await buildIdentityApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const register = (hostId: string, underlayIp = '10.213.9.1') =>
    api.admin({ method: 'POST', url: '/v1/hosts/register', payload: { hostId, underlayIp } });
  const listed = async (hostId: string) =>
    ((await api.admin({ method: 'GET', url: '/v1/hosts' })).json() as Array<{ hostId: string }>).some(
      (h) => h.hostId === hostId,
    );
  /** Registers, issues a token and enrolls; returns the certificate's serial. */
  async function enrolledHost(hostId: string): Promise<string> {
    expect((await register(hostId)).statusCode).toBe(200);
    const joinToken = (await issueToken(api, hostId)).json().token;
    const res = await enroll(api, { hostId, joinToken, csr: (await hostCsr(hostId)).csr });
    expect(res.statusCode).toBe(200);
    return new X509Certificate(res.json().certificate).serialNumber.toLowerCase();
  }

  it('is 202, removes the host from GET /v1/hosts at once, ends its workflow and revokes its certificate', async () => {
    const hostId = hid('del');
    const serial = await enrolledHost(hostId);
    for (let i = 0; i < 100 && !(await listed(hostId)); i++) await sleep(100);
    expect(await listed(hostId)).toBe(true);

    const res = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({
      hostId,
      workflowId: hostWorkflowId(hostId),
      revokedCertificateSerial: serial,
    });
    expect(api.revoked).toContain(serial);
    expect(await listed(hostId)).toBe(false); // no wait: visibility lag must not bring it back
    expect((await api.admin({ method: 'GET', url: `/v1/hosts/${hostId}` })).statusCode).toBe(404);
    const status = (await api.client.workflow.getHandle(hostWorkflowId(hostId)).describe()).status.name;
    expect(status).toBe('COMPLETED');
    const again = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(again.statusCode).toBe(404);
    expect(problemOf(again).type).toBe('urn:edge-overlay:problem:host-not-registered');
  });

  it('is 409 while the host belongs to a cluster, and changes nothing', async () => {
    const hostId = hid('held');
    const serial = await enrolledHost(hostId);
    await api.client.workflow
      .getHandle(hostWorkflowId(hostId))
      .executeUpdate(claimHostUpdate, { args: [{ cluster: 'some-cluster' }] });
    const res = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(res.statusCode).toBe(409);
    const p = problemOf(res);
    expect(p.type).toBe('urn:edge-overlay:problem:host-already-in-cluster');
    expect(p.detail).toContain('some-cluster');
    expect(api.revoked).not.toContain(serial);
    const record = await api.client.workflow.getHandle(hostWorkflowId(hostId)).query(hostRecordQuery);
    expect(record).toMatchObject({ hostId, cluster: 'some-cluster', certificateSerial: serial });
  });

  it('is 404 for a host that never existed', async () => {
    const res = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hid('ghost')}` });
    expect(res.statusCode).toBe(404);
    expect(problemOf(res).type).toBe('urn:edge-overlay:problem:host-not-registered');
  });

  it('deletes a host that never enrolled without revoking anything', async () => {
    const hostId = hid('plain');
    await register(hostId);
    const before = api.revoked.length;
    const res = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(res.statusCode).toBe(202);
    expect(res.json().revokedCertificateSerial).toBeNull();
    expect(api.revoked).toHaveLength(before);
  });

  it('leaves no way back in: an outstanding token dies with the host; registering again starts afresh', async () => {
    const hostId = hid('back');
    await enrolledHost(hostId);
    const spare = (await issueToken(api, hostId)).json().token;
    expect((await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` })).statusCode).toBe(202);
    const res = await enroll(api, { hostId, joinToken: spare, csr: (await hostCsr(hostId)).csr });
    expect(res.statusCode).toBe(401);
    const fresh = await register(hostId, '10.213.9.2');
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json()).toMatchObject({ hostId, underlayIp: '10.213.9.2', cluster: null });
    const record = await api.client.workflow.getHandle(hostWorkflowId(hostId)).query(hostRecordQuery);
    expect(record.certificateSerial).toBeUndefined();
  });

  it('says so when the revocation fails (500), naming the serial', async () => {
    const hostId = hid('norev');
    const serial = await enrolledHost(hostId);
    api.failRevoke(true);
    try {
      const res = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
      expect(res.statusCode).toBe(500);
      expect(problemOf(res).detail).toContain(serial);
      expect(api.logs()).toContain('NOT revoked');
    } finally {
      api.failRevoke(false);
    }
  });

  it('is refused for a host id that does not match the workflow (hostile message)', async () => {
    const hostId = hid('hostile');
    await register(hostId);
    const handle = api.client.workflow.getHandle(hostWorkflowId(hostId));
    await expect(
      handle.executeUpdate('deleteHost', { args: [{ hostId: 'someone-else' }] }),
    ).rejects.toThrow();
    await expect(handle.executeUpdate('deleteHost', { args: [{}] })).rejects.toThrow();
    expect((await handle.query(hostRecordQuery)).hostId).toBe(hostId);
  });
});
