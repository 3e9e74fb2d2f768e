// Runs async jobs one at a time per key and in parallel across keys, with at most `concurrency` running
// overall. Serial per key so a host's later report never overtakes an earlier one still in flight;
// parallel across keys so one slow host workflow delays nobody else; bounded so a burst of reports from
// every host at once (all renumbered after an outage) cannot open thousands of Temporal calls at once.
//
// A job that is still waiting is REPLACED by a newer one pushed with the same slot: the jobs here relay
// "the latest state of X for this host", so a flooding host costs at most one queued job per slot,
// not one per message (memory stays bounded by hosts × slots).

type Job = { slot: string; run: () => Promise<void> };

interface Lane {
  key: string;
  jobs: Job[];
  busy: boolean;
  /** In the ready list, waiting for a global slot. */
  ready: boolean;
}

export class KeyedQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly readyLanes: Lane[] = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (key: string, slot: string, err: unknown) => void,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be ≥ 1');
  }

  push(key: string, slot: string, run: () => Promise<void>): void {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, jobs: [], busy: false, ready: false };
      this.lanes.set(key, lane);
    }
    const waiting = lane.jobs.find((j) => j.slot === slot);
    if (waiting) waiting.run = run;
    else lane.jobs.push({ slot, run });
    this.makeReady(lane);
    this.pump();
  }

  /** Jobs queued or running (for stats). */
  get size(): number {
    let n = this.running;
    for (const lane of this.lanes.values()) n += lane.jobs.length;
    return n;
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.lanes.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private makeReady(lane: Lane): void {
    if (lane.busy || lane.ready || lane.jobs.length === 0) return;
    lane.ready = true;
    this.readyLanes.push(lane);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.readyLanes.length > 0) {
      const lane = this.readyLanes.shift()!;
      lane.ready = false;
      this.start(lane);
    }
    if (this.lanes.size === 0 && this.running === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private start(lane: Lane): void {
    const job = lane.jobs.shift()!;
    lane.busy = true;
    this.running += 1;
    const finish = () => {
      this.running -= 1;
      lane.busy = false;
      // A lane with more work goes to the back of the ready list: fair across hosts.
      if (lane.jobs.length === 0) this.lanes.delete(lane.key);
      else this.makeReady(lane);
      this.pump();
    };
    Promise.resolve()
      .then(job.run)
      .catch((err: unknown) => this.onError(lane.key, job.slot, err))
      .finally(finish);
  }
}
