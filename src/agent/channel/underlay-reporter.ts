// The host's underlay reports: each carries a per-host sequence the control plane uses to apply only the
// newest one, whatever order reports, duplicates and beacons arrive in. The sequence is written to the
// state dir BEFORE the report leaves, so no number is ever used twice, across restarts too; with no
// usable file it starts from the wall clock in ms (it still grows past anything sent before: a host
// sends far fewer than one report per millisecond of its life).
import { join } from 'node:path';
import type { Logger } from 'pino';
import { reportSeqSchema, type UnderlayReport, underlayReportSchema } from '../../contract/host-channel.js';
import { ipv4Schema } from '../../domain/validation.js';
import { readStateFile, setAside, writeFileAtomic } from '../state-file.js';

export const UNDERLAY_SEQ_FILE = 'underlay-seq';

export class UnderlayReporter {
  private latestReport: UnderlayReport | null = null;
  /** The broker's address on the current (or last) connection: carried by every report from then on. */
  private broker: string | undefined;
  /** Reports are numbered and written one at a time, so file order = sequence order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private seq: number,
    private readonly labels: Record<string, string> | undefined,
  ) {}

  static async open(o: {
    stateDir: string;
    log: Logger;
    labels?: Record<string, string>;
    now?: () => number;
  }): Promise<UnderlayReporter> {
    const path = join(o.stateDir, UNDERLAY_SEQ_FILE);
    const start = (o.now ?? Date.now)();
    const read = await readStateFile(path);
    let seq = start;
    if (read.kind === 'text') {
      const stored = reportSeqSchema.safeParse(Number(read.text.trim()));
      if (stored.success) seq = stored.data;
      else {
        const aside = await setAside(path).catch(() => null);
        o.log.warn(
          { path, setAsideAs: aside, startFrom: start },
          'underlay sequence file unusable: starting from the clock',
        );
      }
    } else if (read.kind === 'unreadable') {
      o.log.warn(
        { path, err: read.error, startFrom: start },
        'underlay sequence file unreadable: starting from the clock',
      );
    }
    return new UnderlayReporter(path, seq, o.labels);
  }

  /** The sequence of the last report made (or, before any, the one a restart resumes from). */
  currentSeq(): number {
    return this.seq;
  }

  /** The newest report, re-sent on every reconnect (retained: the control plane reads it when it wants). */
  latest(): UnderlayReport | null {
    return this.latestReport;
  }

  /** The control plane's address as this host reaches it (the broker connection's remote address). */
  brokerAddress(): string | undefined {
    return this.broker;
  }

  /**
   * Called on every (re)connect with the socket's remote address. Returns the report to (re)publish: the
   * latest one, or when the broker is reached at a new address a newly numbered copy that carries it, so the
   * control plane always knows which address this host must not lose to an overlay.
   */
  async connectedTo(remoteAddress: string | undefined): Promise<UnderlayReport | null> {
    const address = brokerIpv4(remoteAddress);
    const latest = this.latestReport;
    if (address === undefined || address === this.broker) return latest;
    this.broker = address;
    if (!latest) return null;
    return this.next(latest.underlayIp, latest.underlayIface, latest.prefixLength);
  }

  /** Numbers a new report and persists the number; the caller publishes the returned report. */
  next(underlayIp: string | null, underlayIface: string, prefixLength?: number): Promise<UnderlayReport> {
    const made = this.chain.then(async () => {
      const report = underlayReportSchema.parse({
        seq: this.seq + 1,
        underlayIp,
        underlayIface,
        ...(prefixLength !== undefined ? { prefixLength } : {}),
        ...(this.broker !== undefined ? { brokerAddress: this.broker } : {}),
        ...(this.labels ? { labels: this.labels } : {}),
      });
      await writeFileAtomic(this.path, `${report.seq}\n`);
      this.seq = report.seq;
      this.latestReport = report;
      return report;
    });
    this.chain = made.catch(() => undefined);
    return made;
  }
}

/** A socket's remote address as dotted IPv4 ("::ffff:10.0.0.2" → "10.0.0.2"); undefined for IPv6 or none. */
export function brokerIpv4(remoteAddress: string | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  const bare = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
  return ipv4Schema.safeParse(bare).success ? bare : undefined;
}
