// The agent's short-lived PKI helper process (see pki-helper.ts for why it is a process): reads ONE
// request as JSON on stdin, writes ONE answer as JSON on stdout, exits. The private key and the join token
// arrive on stdin only (never argv or the environment, which other users of the host can read in /proc).
//   {"op":"csr","hostId":H,"privateKeyPem":K}                    → {"ok":true,"csr":PEM}
//   {"op":"enroll","hostId":H,"privateKeyPem":K,"apiUrl":U,"joinToken":T}
//                                                                → {"ok":true,"answer":{certificate,caCertificate,broker}}
//   any failure                                                  → {"ok":false,"error":{message,retryable,status?}}
import { createCsr } from '../../pki/csr.js';
import { EnrollmentError, requestCertificate } from './enroll.js';
import type { PkiHelperAnswer, PkiHelperRequest } from './pki-helper.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function serve(req: PkiHelperRequest): Promise<PkiHelperAnswer> {
  const csr = await createCsr(req.hostId, req.privateKeyPem);
  if (req.op === 'csr') return { ok: true, csr };
  const answer = await requestCertificate({
    apiUrl: req.apiUrl,
    hostId: req.hostId,
    joinToken: req.joinToken,
    csr,
  });
  return { ok: true, answer };
}

let out: PkiHelperAnswer;
try {
  out = await serve(JSON.parse(await readStdin()) as PkiHelperRequest);
} catch (err) {
  const e = err as Error;
  out = {
    ok: false,
    error: {
      message: e.message,
      // Only an enrollment the API did not answer (or answered 5xx/429) is worth another helper run.
      retryable: err instanceof EnrollmentError && err.retryable,
      ...(err instanceof EnrollmentError && err.status !== undefined ? { status: err.status } : {}),
    },
  };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
