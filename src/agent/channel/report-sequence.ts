// A per-host report sequence kept in a file of the state dir: every number is written BEFORE the report
// that carries it leaves, so no number is used twice, across restarts too. With no usable file it starts
// from the wall clock in ms, which still grows past anything sent before (a host sends far fewer than
// one report per millisecond of its life). The same rule as the underlay reports' (underlay-reporter.ts).
import { join } from 'node:path';
import type { Logger } from 'pino';
import { reportSeqSchema } from '../../contract/host-channel.js';
import { readStateFile, setAside, writeFileAtomic } from '../state-file.js';

export class ReportSequence {
  /** Numbers are taken and written one at a time, so file order = sequence order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private seq: number,
  ) {}

  /** Never throws: an unusable file is set aside (and logged) and the clock seeds the sequence. */
  static async open(o: {
    stateDir: string;
    file: string;
    log: Logger;
    now?: () => number;
  }): Promise<ReportSequence> {
    const path = join(o.stateDir, o.file);
    const start = (o.now ?? Date.now)();
    const read = await readStateFile(path);
    if (read.kind === 'text') {
      const stored = reportSeqSchema.safeParse(Number(read.text.trim()));
      if (stored.success) return new ReportSequence(path, stored.data);
      const aside = await setAside(path).catch(() => null);
      o.log.warn(
        { path, setAsideAs: aside, startFrom: start },
        'sequence file unusable: starting from the clock',
      );
    } else if (read.kind === 'unreadable') {
      o.log.warn(
        { path, err: read.error, startFrom: start },
        'sequence file unreadable: starting from the clock',
      );
    }
    return new ReportSequence(path, start);
  }

  /** The last number taken (or, before any, the one a restart resumes from). */
  current(): number {
    return this.seq;
  }

  /** The next number, persisted before it is returned; a failed write takes no number (it rejects). */
  next(): Promise<number> {
    const taken = this.chain.then(async () => {
      const seq = this.seq + 1;
      await writeFileAtomic(this.path, `${seq}\n`);
      this.seq = seq;
      return seq;
    });
    this.chain = taken.catch(() => undefined);
    return taken;
  }
}
