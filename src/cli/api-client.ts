// A small typed client of the HTTP API for the CLI: JSON in, JSON or problem+json out.
import type { ClusterView, DomainEvent, HostRecord, HostSpec, OverlayMode } from '../domain/types.js';
import { CliError, exitCodeForStatus } from './errors.js';

export { CliError };

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    what: string,
    /** The answer's Retry-After (seconds), when it had one: the API asks for the same request again. */
    readonly retryAfterS?: number,
    unauthorizedHint?: string,
  ) {
    super(formatProblem(status, problem, what, unauthorizedHint), exitCodeForStatus(status));
    this.name = 'ApiError';
  }
}

/** No HTTP answer at all (refused, reset, timed out): `--follow` and `--watch` retry these. */
export class ApiUnreachableError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnreachableError';
  }
}

const NO_TOKEN_HINT = '(set EDGE_OVERLAY_TOKEN or pass --token-file FILE)';

/** "409 Conflict: cluster alpha already exists…" plus one indented line per field error; a 401 adds
 * `unauthorizedHint` (one indented line per line of it). */
export function formatProblem(
  status: number,
  problem: Problem | null,
  what: string,
  unauthorizedHint = NO_TOKEN_HINT,
): string {
  const lines = problem
    ? [`${what}: ${problem.status} ${problem.title}: ${problem.detail}`]
    : [`${what}: HTTP ${status}`];
  for (const e of problem?.errors ?? []) lines.push(`  ${e.field}: ${e.message}`);
  if (status === 401) for (const l of unauthorizedHint.split('\n')) lines.push(`  ${l}`);
  return lines.join('\n');
}

export interface Accepted {
  name: string;
  workflowId: string;
  uiUrl: string;
}
export type ClusterStatus = ClusterView & { workflowId: string; uiUrl: string };
export type HostEntry = HostRecord & { workflowId: string; uiUrl: string };
export interface ClusterSummary {
  name: string;
  phase: string | null;
  hostCount: number | null;
  workflowId: string;
  uiUrl: string;
}

export interface JoinToken {
  hostId: string;
  token: string;
  expiresAt: string;
}
export interface HostReset {
  hostId: string;
  at: string;
  changed: boolean;
  removed: string[];
  cluster?: string;
}

export interface HostDeleted {
  hostId: string;
  workflowId: string;
  revokedCertificateSerial: string | null;
}

export interface CreateClusterRequest {
  name: string;
  overlayCidr?: string;
  vni?: number;
  mode?: OverlayMode;
  hosts: HostSpec[];
  /** Create despite another cluster's overlapping CIDR + VNI on the same underlay (409 otherwise). */
  force?: boolean;
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** What a 401 adds: where the token came from when that may be why (src/cli/connect.ts). */
  unauthorizedHint?: string;
}

export class ApiClient {
  private readonly base: string;
  constructor(private readonly opts: ApiClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  private async request<T>(
    method: string,
    path: string,
    what: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiUnreachableError(`${what}: cannot reach the API at ${this.base} (${cause})`);
    }
    const text = await res.text();
    const json = parseJson(text);
    if (!res.ok) {
      const problem = isProblem(json) ? json : null;
      const retryAfter = retryAfterSeconds(res.headers);
      throw new ApiError(res.status, problem, what, retryAfter, this.opts.unauthorizedHint);
    }
    return json as T;
  }

  createCluster(req: CreateClusterRequest, idempotencyKey?: string): Promise<Accepted> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return this.request('POST', '/v1/clusters', `create cluster ${req.name}`, req, headers);
  }
  listClusters(): Promise<{ clusters: ClusterSummary[] }> {
    return this.request('GET', '/v1/clusters', 'list clusters');
  }
  getCluster(name: string): Promise<ClusterStatus> {
    return this.request('GET', `/v1/clusters/${encodeURIComponent(name)}`, `cluster ${name}`);
  }
  addHosts(name: string, hosts: HostSpec[]): Promise<Accepted> {
    return this.request('POST', `/v1/clusters/${encodeURIComponent(name)}/hosts`, `add hosts to ${name}`, {
      hosts,
    });
  }
  removeHost(name: string, hostId: string): Promise<Accepted> {
    const path = `/v1/clusters/${encodeURIComponent(name)}/hosts/${encodeURIComponent(hostId)}`;
    return this.request('DELETE', path, `remove ${hostId} from ${name}`);
  }
  events(name: string, after?: number): Promise<DomainEvent[]> {
    const q = after === undefined ? '' : `?after=${after}`;
    return this.request('GET', `/v1/clusters/${encodeURIComponent(name)}/events${q}`, `events of ${name}`);
  }
  deleteCluster(name: string): Promise<Accepted> {
    return this.request('DELETE', `/v1/clusters/${encodeURIComponent(name)}`, `delete cluster ${name}`);
  }
  listHosts(): Promise<HostEntry[]> {
    return this.request('GET', '/v1/hosts', 'list hosts');
  }
  getHost(hostId: string): Promise<HostEntry> {
    return this.request('GET', `/v1/hosts/${encodeURIComponent(hostId)}`, `host ${hostId}`);
  }
  issueJoinToken(hostId: string, ttlSeconds?: number): Promise<JoinToken> {
    const body = ttlSeconds === undefined ? { hostId } : { hostId, ttlSeconds };
    return this.request('POST', '/v1/hosts/join-tokens', `join token for ${hostId}`, body);
  }
  deleteHost(hostId: string): Promise<HostDeleted> {
    return this.request('DELETE', `/v1/hosts/${encodeURIComponent(hostId)}`, `delete host ${hostId}`);
  }

  resetHost(hostId: string, reason?: string): Promise<HostReset> {
    const path = `/v1/hosts/${encodeURIComponent(hostId)}/reset`;
    return this.request('POST', path, `reset host ${hostId}`, reason ? { reason } : {});
  }
}

/** The answer's Retry-After in seconds, when it has a usable one. */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const s = Number(headers.get('retry-after') ?? Number.NaN);
  return Number.isFinite(s) && s >= 0 ? s : undefined;
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'status' in v && 'detail' in v && 'title' in v;
}
