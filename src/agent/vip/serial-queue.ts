// One job at a time, in the order pushed: the VIP elector's kernel actions must never overlap and must
// apply in the order the election decided them (election.ts, the glue contract).
// A failing job is reported and the queue goes on; stop() drops what has not started and waits for the
// job in progress. onIdle runs each time the last job is done (the elector's tick waits for that).
export type Job = () => Promise<void>;

export class SerialQueue {
  private readonly jobs: Job[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly onIdle: () => void = () => undefined,
  ) {}

  /** A job runs or waits. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  get pending(): number {
    return this.jobs.length;
  }

  push(job: Job): void {
    if (this.stopped) return;
    this.jobs.push(job);
    if (!this.running) this.running = this.drain();
  }

  /** Resolves when every job pushed so far (and any pushed meanwhile) has run. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No new jobs; the queued ones are dropped; resolves after the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.jobs.length = 0;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
      try {
        await job();
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = undefined;
    if (!this.stopped) this.onIdle();
  }
}
