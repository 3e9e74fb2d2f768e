// A tiny stand-in for POST /v1/hosts/enroll over real HTTP on loopback: single-use join tokens bound to a
// host id, CSRs signed by a real ProductCa. It records every request body, so a test can check what left
// the host (never its private key). `answer` lets a test make the API misbehave.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProductCa } from '../../../src/pki/ca.js';

export interface EnrollServer {
  url: string;
  bodies: string[];
  /** token → host id it was issued for (used tokens are removed). */
  tokens: Map<string, string>;
  /** Override what a valid request gets (default: the real CA's signature for the requested host). */
  answer?: (req: { hostId: string; csr: string }) => Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

const problem = (detail: string) => ({
  type: 'urn:edge-overlay:problem:unauthorized',
  title: 'Unauthorized',
  status: 401,
  detail,
});

export async function startEnrollServer(
  ca: ProductCa,
  brokerUrl = 'mqtts://broker.test:8883',
): Promise<EnrollServer> {
  let server: Server | undefined;
  const s: EnrollServer = {
    url: '',
    bodies: [],
    tokens: new Map(),
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
  const handle = async (raw: string): Promise<{ status: number; body: unknown }> => {
    const req = JSON.parse(raw) as { hostId: string; joinToken?: string; csr: string };
    const boundTo = req.joinToken ? s.tokens.get(req.joinToken) : undefined;
    if (!req.joinToken) return { status: 401, body: problem('no join token') };
    if (boundTo === undefined)
      return { status: 401, body: problem('the join token is wrong, used or expired') };
    if (boundTo !== req.hostId)
      return { status: 401, body: problem('the join token was issued for another host') };
    s.tokens.delete(req.joinToken);
    if (s.answer) return s.answer(req);
    const signed = await ca.signHostCsr(req.csr, req.hostId);
    return {
      status: 200,
      body: { certificate: signed.certPem, caCertificate: ca.certPem, broker: brokerUrl },
    };
  };
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      s.bodies.push(raw);
      const ok = req.method === 'POST' && req.url === '/v1/hosts/enroll';
      void (ok ? handle(raw) : Promise.resolve({ status: 404, body: {} }))
        .catch((err: Error) => ({ status: 500, body: { detail: err.message } }))
        .then(({ status, body }) => {
          const type = status === 200 ? 'application/json' : 'application/problem+json';
          res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
        });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}
