// The agent's local memory of the last overlay it was told to build: written atomically after every
// change (a failed write fails the command that needed it, so Temporal retries it), read at startup to
// re-apply the overlay before Temporal is reachable. An unusable file is set aside, never fatal: the
// control plane pushes the overlay again.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { OverlayMemory } from '../activities/host/deps.js';
import { overlaySpecSchema, peerSchema } from '../activities/host/schemas.js';
import { HostError } from '../domain/host-error.js';
import { type SiteVipPolicy, siteVipPolicySchema } from '../domain/site-vip.js';
import type { OverlaySpec, Peer } from '../domain/types.js';
import { ipv4Schema } from '../domain/validation.js';
import {
  type AtomicWriteOptions,
  ensurePrivateDir,
  readStateFile,
  removeStaleTemps,
  setAside,
  writeFileAtomic,
} from './state-file.js';

const stateSchema = z.object({
  version: z.literal(1),
  hostId: z.string(),
  overlay: z.object({ spec: overlaySpecSchema, overlayIp: ipv4Schema }).nullable(),
  peers: z.array(peerSchema),
  vipHeld: z.boolean(),
  /** Optional: state files written before the site VIP election have none. Checked on its own (adopt):
   * a policy this agent cannot read (another version's) is dropped, never the overlay with it. */
  vipPolicy: z.unknown().optional(),
  updatedAt: z.string(),
});
export interface AgentState {
  version: 1;
  hostId: string;
  overlay: { spec: OverlaySpec; overlayIp: string } | null;
  peers: Peer[];
  /** Legacy VIP (clusters without a site election): re-assigned at startup. Never used with a vipPolicy. */
  vipHeld: boolean;
  /** The site VIP election's last policy (setPeers `vip`): with it the site keeps electing after an agent
   * restart while the control plane is away. It never says who holds the VIP: the kernel does. */
  vipPolicy?: SiteVipPolicy | null;
  updatedAt: string;
}

export const stateFileName = 'agent-state.json';
/** HostError type of a failed state write (retryable: the next attempt writes again). */
export const STATE_WRITE_FAILED = 'StateWriteFailed';

export class StateStore implements OverlayMemory {
  private state: AgentState;
  private chain: Promise<void> = Promise.resolve();
  readonly path: string;

  constructor(
    readonly dir: string,
    readonly hostId: string,
    private readonly log: Logger,
    private readonly writeOptions: AtomicWriteOptions = {},
  ) {
    this.path = join(dir, stateFileName);
    this.state = {
      version: 1,
      hostId,
      overlay: null,
      peers: [],
      vipHeld: false,
      updatedAt: new Date(0).toISOString(),
    };
  }

  /** Reads the file; never throws. A corrupt, truncated or foreign file is moved aside (and logged). */
  async load(): Promise<AgentState> {
    try {
      const mode = await ensurePrivateDir(this.dir);
      if ((mode & 0o077) !== 0)
        this.log.warn(
          { dir: this.dir, mode: mode.toString(8) },
          'state dir is open to other users; use 0700',
        );
      const stale = await removeStaleTemps(this.path);
      if (stale > 0) this.log.info({ dir: this.dir, stale }, 'removed temp files of an interrupted write');
    } catch (err) {
      this.log.error({ err: String(err), dir: this.dir }, 'state dir unusable; state will not be saved');
    }
    const read = await readStateFile(this.path);
    if (read.kind === 'missing') return this.state;
    const problem = read.kind === 'unreadable' ? read.error : this.adopt(read.text);
    if (problem !== null) await this.setAside(problem);
    return this.state;
  }

  current(): AgentState {
    return this.state;
  }

  async overlayApplied(input: { spec: OverlaySpec; overlayIp: string }): Promise<void> {
    const sameCluster = this.state.overlay?.spec.clusterName === input.spec.clusterName;
    await this.update({
      overlay: { spec: input.spec, overlayIp: input.overlayIp },
      ...(sameCluster ? {} : { peers: [], vipHeld: false, vipPolicy: null }),
    });
  }
  async peersSet(_spec: OverlaySpec, peers: Peer[]): Promise<void> {
    await this.update({ peers });
  }
  async vipChanged(_spec: OverlaySpec, held: boolean): Promise<void> {
    await this.update({ vipHeld: held });
  }
  async tornDown(): Promise<void> {
    await this.update({ overlay: null, peers: [], vipHeld: false, vipPolicy: null });
  }
  /** The election owns the VIP from its first policy on: the legacy flag is cleared with it. */
  async vipPolicySet(policy: SiteVipPolicy | null): Promise<void> {
    await this.update(policy ? { vipPolicy: policy, vipHeld: false } : { vipPolicy: null });
  }

  /** Takes the file's state when it is valid and ours; otherwise says what is wrong with it. */
  private adopt(text: string): string | null {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return text.length === 0 ? 'empty file' : `invalid JSON: ${(err as Error).message}`;
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) return `unexpected content: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
    if (parsed.data.hostId !== this.hostId) return `state of another host (${parsed.data.hostId})`;
    const policy = siteVipPolicySchema.nullable().optional().safeParse(parsed.data.vipPolicy);
    if (!policy.success)
      this.log.warn(
        { path: this.path, problem: policy.error.issues[0]?.message },
        'stored site VIP policy unusable: dropped until the control plane pushes it again',
      );
    this.state = { ...(parsed.data as AgentState), vipPolicy: policy.success ? (policy.data ?? null) : null };
    return null;
  }

  private async setAside(problem: string): Promise<void> {
    try {
      const movedTo = await setAside(this.path);
      this.log.warn(
        { path: this.path, movedTo, problem },
        'state file unusable: moved aside, starting with empty state until the control plane pushes again',
      );
    } catch (err) {
      this.log.error(
        { path: this.path, problem, err: String(err) },
        'state file unusable and could not be moved aside: starting with empty state',
      );
    }
  }

  /** Writes run one at a time, each the full state when it was queued; the caller sees its own failure. */
  private update(patch: Partial<AgentState>): Promise<void> {
    this.state = { ...this.state, ...patch, updatedAt: new Date().toISOString() };
    const snapshot = this.state;
    const written = this.chain.then(() => this.write(snapshot));
    this.chain = written.catch(() => undefined);
    return written.catch((err: unknown) => {
      this.log.error({ err: String(err), path: this.path }, 'state file write failed');
      throw new HostError(
        STATE_WRITE_FAILED,
        `could not save the agent state to ${this.path}: ${String(err)}`,
      );
    });
  }

  private async write(state: AgentState): Promise<void> {
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`, this.writeOptions);
  }
}
