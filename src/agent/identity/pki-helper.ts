// CSRs and the enrollment request run in a short-lived child process (pki-helper-main.ts), not in the
// agent: @peculiar/x509 (with reflect-metadata, tsyringe, asn1, tslib) and Node's fetch (undici, whose
// HTTP parser is WebAssembly) cost the agent ~20 MB of RSS once loaded, and an ES module can never be
// unloaded. They are needed once at enrollment and once per renewal (months apart), so the steady-state
// agent never holds them (issue 12 point 7: RSS < 70 MB; measured by bench:agent). The child gets the
// key and token on stdin, never in argv or the environment.
import { execa } from 'execa';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type EnrollAnswer, EnrollmentError } from './enroll.js';

export type PkiHelperRequest =
  | { op: 'csr'; hostId: string; privateKeyPem: string }
  | { op: 'enroll'; hostId: string; privateKeyPem: string; apiUrl: string; joinToken: string };

export type PkiHelperAnswer =
  | { ok: true; csr: string }
  | { ok: true; answer: EnrollAnswer }
  | { ok: false; error: { message: string; retryable: boolean; status?: number } };

/** Node startup + x509 load + (enroll) one HTTP request with its own 15 s timeout. */
const HELPER_TIMEOUT_MS = 60_000;

/** The helper next to this module: compiled `.js` in a build, `.ts` through tsx from the source tree. In the
 * agent bundle (scripts/build-agent.ts) "this module" is lib/agent.js, so the bundle ships the helper as
 * lib/pki-helper-main.js, its own entry. */
function helperArgv(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./pki-helper-main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSource) return [script];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, script];
}

async function runHelper(req: PkiHelperRequest, signal?: AbortSignal): Promise<PkiHelperAnswer> {
  const r = await execa(process.execPath, helperArgv(), {
    input: JSON.stringify(req),
    reject: false,
    timeout: HELPER_TIMEOUT_MS,
    ...(signal ? { cancelSignal: signal } : {}),
    // The helper must not inherit the agent's V8 flags meant for a long-running process.
    env: { NODE_OPTIONS: '' },
  });
  const line = String(r.stdout ?? '')
    .trim()
    .split('\n')
    .pop();
  try {
    return JSON.parse(line ?? '') as PkiHelperAnswer;
  } catch {
    // Never quote stdin (key, token); stderr of a crashed helper is a stack trace at most.
    const why = r.isCanceled ? 'canceled' : r.timedOut ? 'timed out' : `exit ${r.exitCode ?? '?'}`;
    throw new EnrollmentError(
      `the PKI helper process failed (${why}): ${String(r.stderr ?? '').slice(-500)}`,
      r.timedOut === true, // a crash would crash again; a slow start may not
    );
  }
}

/** PKCS#10 PEM for CN=hostId signed with the host's key, made in the helper process. */
export async function createCsrIsolated(hostId: string, privateKeyPem: string): Promise<string> {
  const a = await runHelper({ op: 'csr', hostId, privateKeyPem });
  if (!a.ok) throw new Error(`could not make a CSR: ${a.error.message}`);
  if (!('csr' in a)) throw new Error('the PKI helper answered something else than a CSR');
  return a.csr;
}

/** POST /v1/hosts/enroll with a CSR for this key, from the helper; failures are EnrollmentErrors. */
export async function enrollIsolated(
  r: { apiUrl: string; hostId: string; joinToken: string; privateKeyPem: string },
  signal?: AbortSignal,
): Promise<EnrollAnswer> {
  const a = await runHelper({ op: 'enroll', ...r }, signal);
  if (!a.ok) throw new EnrollmentError(a.error.message, a.error.retryable, a.error.status);
  if (!('answer' in a)) throw new EnrollmentError('the PKI helper answered no certificate', false);
  return a.answer;
}
