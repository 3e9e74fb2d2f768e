// POST /v1/hosts/enroll against the real dev server, a real hostWorkflow and a real product CA: what a
// stolen, replayed, expired or foreign join token gets (401 problem+json), and what a good one gets.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostWorkflowId } from '../../src/domain/ids.js';
import { hostRecordQuery } from '../../src/contract/workflow-messages.js';
import { problemOf } from './helper.js';
import {
  BROKER_URL,
  buildIdentityApi,
  enroll,
  hid,
  historyText,
  hostCsr,
  type IdentityApi,
  issueToken,
} from './identity-helper.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('POST /v1/hosts/enroll', () => {
  let api: IdentityApi;
  beforeAll(async () => {
    api = await buildIdentityApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const tokenFor = async (hostId: string, ttlSeconds?: number): Promise<string> => {
    const res = await issueToken(api, hostId, ttlSeconds);
    expect(res.statusCode).toBe(201);
    return res.json().token;
  };
  const refused = (res: Awaited<ReturnType<typeof enroll>>) => {
    expect(res.statusCode, res.body).toBe(401);
    const p = problemOf(res);
    expect(p.type).toBe('urn:edge-overlay:problem:join-token-refused');
    return p.detail;
  };

  it('trades a join token and a CSR for a certificate with CN = hostId that chains to the CA', async () => {
    const hostId = hid('enr');
    await api.admin({
      method: 'POST',
      url: '/v1/hosts/register',
      payload: { hostId, underlayIp: '10.213.7.1' },
    });
    const joinToken = await tokenFor(hostId);
    const { csr, publicKey } = await hostCsr(hostId);
    const res = await enroll(api, { hostId, joinToken, csr });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['broker', 'caCertificate', 'certificate']);
    expect(body.broker).toBe(BROKER_URL);
    expect(body.caCertificate).toBe(api.ca.certPem);
    const cert = new X509Certificate(body.certificate);
    const ca = new X509Certificate(body.caCertificate);
    expect(cert.subject).toBe(`CN=${hostId}`);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')).toBe(publicKey);
    // The host record now carries the certificate's serial and the host's public key (never the key).
    const record = await api.client.workflow.getHandle(hostWorkflowId(hostId)).query(hostRecordQuery);
    expect(record.certificateSerial).toBe(cert.serialNumber.toLowerCase());
    expect(record.publicKey).toBe(publicKey);
  });

  it('refuses a used token: single use', async () => {
    const hostId = hid('used');
    const joinToken = await tokenFor(hostId);
    expect((await enroll(api, { hostId, joinToken, csr: (await hostCsr(hostId)).csr })).statusCode).toBe(200);
    const detail = refused(await enroll(api, { hostId, joinToken, csr: (await hostCsr(hostId)).csr }));
    expect(detail).toContain('already used');
  });

  it('refuses an expired token', async () => {
    const hostId = hid('exp');
    const joinToken = await tokenFor(hostId, 1);
    await sleep(1_500);
    expect(refused(await enroll(api, { hostId, joinToken, csr: (await hostCsr(hostId)).csr }))).toContain(
      'expired',
    );
  });

  it('refuses a token issued for another host, whether that host exists or not', async () => {
    const h1 = hid('own');
    const h2 = hid('other');
    const joinToken = await tokenFor(h1);
    await tokenFor(h2); // h2's workflow exists and holds a token of its own
    refused(await enroll(api, { hostId: h2, joinToken, csr: (await hostCsr(h2)).csr }));
    const ghost = hid('ghost');
    refused(await enroll(api, { hostId: ghost, joinToken, csr: (await hostCsr(ghost)).csr }));
    // The refusals did not burn h1's token.
    expect((await enroll(api, { hostId: h1, joinToken, csr: (await hostCsr(h1)).csr })).statusCode).toBe(200);
  });

  it('refuses a wrong token, a malformed one and a missing one with 401', async () => {
    const hostId = hid('wrong');
    const good = await tokenFor(hostId);
    const { csr } = await hostCsr(hostId);
    const flipped = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
    refused(await enroll(api, { hostId, joinToken: flipped, csr }));
    refused(await enroll(api, { hostId, joinToken: 'short', csr }));
    expect(refused(await enroll(api, { hostId, csr }))).toContain('missing');
    refused(await enroll(api, { hostId, joinToken: '', csr }));
    expect((await enroll(api, { hostId, joinToken: good, csr })).statusCode).toBe(200);
  });

  it('answers 400 for a malformed CSR or one whose CN is not the host id, and keeps the token', async () => {
    const hostId = hid('csr');
    const joinToken = await tokenFor(hostId);
    const garbage = await enroll(api, { hostId, joinToken, csr: 'not a csr' });
    expect(garbage.statusCode).toBe(400);
    expect(problemOf(garbage).errors?.[0]?.field).toBe('csr');
    const foreign = await enroll(api, { hostId, joinToken, csr: (await hostCsr('someone-else')).csr });
    expect(foreign.statusCode).toBe(400);
    expect(problemOf(foreign).errors?.[0]?.message).toContain('cn-mismatch');
    const invalid = await enroll(api, { hostId: 'Not_A_Host', joinToken, csr: 'x' });
    expect(invalid.statusCode).toBe(400);
    expect(problemOf(invalid).errors?.[0]?.field).toBe('hostId');
    expect((await enroll(api, { hostId, joinToken, csr: (await hostCsr(hostId)).csr })).statusCode).toBe(200);
  });

  it('lets exactly one of 10 concurrent enrolls with one token through', async () => {
    const hostId = hid('race');
    const joinToken = await tokenFor(hostId);
    const csrs = await Promise.all(Array.from({ length: 10 }, () => hostCsr(hostId)));
    const results = await Promise.all(csrs.map(({ csr }) => enroll(api, { hostId, joinToken, csr })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, ...Array(9).fill(401)]);
    const winner = new X509Certificate(results.find((r) => r.statusCode === 200)!.json().certificate);
    const record = await api.client.workflow
      .getHandle(hostWorkflowId(hostId))
      .query(hostRecordQuery)
      .catch(() => null);
    expect(record).toBeNull(); // never registered: enrollment alone does not make an inventory entry
    const deleted = await api.admin({ method: 'DELETE', url: `/v1/hosts/${hostId}` });
    expect(deleted.json().revokedCertificateSerial).toBe(winner.serialNumber.toLowerCase());
  });

  it('revokes the certificate a re-enrollment replaces', async () => {
    const hostId = hid('again');
    const first = await enroll(api, {
      hostId,
      joinToken: await tokenFor(hostId),
      csr: (await hostCsr(hostId)).csr,
    });
    const oldSerial = new X509Certificate(first.json().certificate).serialNumber.toLowerCase();
    const second = await enroll(api, {
      hostId,
      joinToken: await tokenFor(hostId),
      csr: (await hostCsr(hostId)).csr,
    });
    expect(second.statusCode).toBe(200);
    expect(api.revoked).toContain(oldSerial);
  });

  it('never writes the token or a private key to the logs or the workflow history', async () => {
    const hostId = hid('secret');
    const joinToken = await tokenFor(hostId);
    const { csr, privateKeyPem } = await hostCsr(hostId);
    await enroll(api, { hostId, joinToken: `${joinToken.slice(0, -2)}xx`, csr }); // a refused try, logged
    expect((await enroll(api, { hostId, joinToken, csr })).statusCode).toBe(200);
    await enroll(api, { hostId, joinToken, csr }); // a replay, logged
    const history = await historyText(api.client, hostId);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(joinToken).digest('base64url');
    expect(history).toContain(digest); // the scan reads the decoded update payloads
    expect(history).not.toContain(joinToken);
    expect(history).not.toContain('PRIVATE KEY');
    expect(history).not.toContain('CERTIFICATE REQUEST');
    const logs = api.logs();
    expect(logs).toContain(hostId);
    expect(logs).not.toContain(joinToken);
    expect(logs).not.toContain(joinToken.slice(0, 20));
    expect(logs).not.toContain('PRIVATE KEY');
    expect(logs).not.toContain(privateKeyPem.split('\n')[1]);
  });
});
