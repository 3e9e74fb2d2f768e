// POST /v1/hosts/enroll (DESIGN.md, fixed contract): the join token is the only credential, the body
// carries the CSR (public key only). A 401 is final (the token will not become valid by retrying);
// anything else (no answer, 5xx) is worth another try. Runs in the PKI helper process only (pki-helper.ts):
// fetch needs WebAssembly, which the --jitless agent does not have, and would cost it ~20 MB.
import { z } from 'zod';

const ENROLL_PATH = '/v1/hosts/enroll';
/** An API that accepted the connection but never answers must not hang the agent's start. */
const ENROLL_TIMEOUT_MS = 15_000;

const pem = z.string().min(100).max(16_000);
export const enrollAnswerSchema = z.object({
  certificate: pem,
  caCertificate: pem,
  broker: z.string().min(1).max(500),
});
export type EnrollAnswer = z.infer<typeof enrollAnswerSchema>;

const problemSchema = z.object({ title: z.string().optional(), detail: z.string().optional() });

export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  constructor(
    message: string,
    /** False when retrying cannot help (a refused token, an answer we cannot use). */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface EnrollRequest {
  apiUrl: string;
  hostId: string;
  joinToken: string;
  csr: string;
  fetch?: typeof fetch;
}

/** Why the API refused, from its problem+json (never the token itself). */
async function refusal(res: Response): Promise<string> {
  const body = await res.json().catch(() => null);
  const p = problemSchema.safeParse(body);
  return (p.success && (p.data.detail ?? p.data.title)) || res.statusText || `HTTP ${res.status}`;
}

export async function requestCertificate(r: EnrollRequest): Promise<EnrollAnswer> {
  const url = new URL(ENROLL_PATH, r.apiUrl);
  let res: Response;
  try {
    res = await (r.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ hostId: r.hostId, joinToken: r.joinToken, csr: r.csr }),
      signal: AbortSignal.timeout(ENROLL_TIMEOUT_MS),
    });
  } catch (err) {
    throw new EnrollmentError(`enrollment: no answer from ${url.origin}: ${(err as Error).message}`, true);
  }
  if (res.status === 401) {
    throw new EnrollmentError(
      `enrollment refused: ${await refusal(res)}. The join token is missing, wrong, already used, expired or issued for another host id; ask an admin for a new one (edge-overlay hosts join-token ${r.hostId})`,
      false,
      401,
    );
  }
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 429;
    throw new EnrollmentError(
      `enrollment failed (HTTP ${res.status}): ${await refusal(res)}`,
      retryable,
      res.status,
    );
  }
  const answer = enrollAnswerSchema.safeParse(await res.json().catch(() => null));
  if (!answer.success) {
    throw new EnrollmentError(
      `enrollment: the API answered something else than {certificate, caCertificate, broker}`,
      false,
      res.status,
    );
  }
  return answer.data;
}
