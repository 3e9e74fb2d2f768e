// The agent's local memory of the last overlay it was told to build: written atomically (tmp + fsync +
// rename) after every change, read at startup to re-apply the overlay before Temporal is reachable.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { OverlayMemory } from '../activities/host/deps.js';
import { overlaySpecSchema, peerSchema } from '../activities/host/schemas.js';
import type { OverlaySpec, Peer } from '../domain/types.js';
import { ipv4Schema } from '../domain/validation.js';

const stateSchema = z.object({
  version: z.literal(1),
  hostId: z.string(),
  overlay: z.object({ spec: overlaySpecSchema, overlayIp: ipv4Schema }).nullable(),
  peers: z.array(peerSchema),
  vipHeld: z.boolean(),
  updatedAt: z.string(),
});
export interface AgentState {
  version: 1;
  hostId: string;
  overlay: { spec: OverlaySpec; overlayIp: string } | null;
  peers: Peer[];
  vipHeld: boolean;
  updatedAt: string;
}

export const stateFileName = 'agent-state.json';

export class StateStore implements OverlayMemory {
  private state: AgentState;
  private chain: Promise<void> = Promise.resolve();
  readonly path: string;

  constructor(
    readonly dir: string,
    readonly hostId: string,
    private readonly log: Logger,
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

  /** Reads the file; a missing, corrupt or foreign file leaves the empty state (and says so). */
  async load(): Promise<AgentState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return this.state;
    }
    const parsed = stateSchema.safeParse(JSON.parse(text || 'null'));
    if (!parsed.success)
      this.log.warn({ path: this.path, issues: parsed.error.issues }, 'state file unusable, ignored');
    else if (parsed.data.hostId !== this.hostId)
      this.log.warn({ path: this.path, hostId: parsed.data.hostId }, 'state file of another host, ignored');
    else this.state = parsed.data as AgentState;
    return this.state;
  }

  current(): AgentState {
    return this.state;
  }

  async overlayApplied(input: { spec: OverlaySpec; overlayIp: string }): Promise<void> {
    const sameCluster = this.state.overlay?.spec.clusterName === input.spec.clusterName;
    await this.update({
      overlay: { spec: input.spec, overlayIp: input.overlayIp },
      ...(sameCluster ? {} : { peers: [], vipHeld: false }),
    });
  }
  async peersSet(_spec: OverlaySpec, peers: Peer[]): Promise<void> {
    await this.update({ peers });
  }
  async vipChanged(_spec: OverlaySpec, held: boolean): Promise<void> {
    await this.update({ vipHeld: held });
  }
  async tornDown(): Promise<void> {
    await this.update({ overlay: null, peers: [], vipHeld: false });
  }

  private update(patch: Partial<AgentState>): Promise<void> {
    this.state = { ...this.state, ...patch, updatedAt: new Date().toISOString() };
    const snapshot = this.state;
    // writes run one at a time, each one the full state at the time it was queued
    this.chain = this.chain
      .then(() => this.write(snapshot))
      .catch((err) => {
        this.log.error({ err, path: this.path }, 'state file write failed');
      });
    return this.chain;
  }

  private async write(state: AgentState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
