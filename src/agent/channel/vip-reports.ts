// The site VIP reports of this host (issue 13): every gain or loss of the VIP the elector makes is
// numbered with a per-host sequence (persisted, report-sequence.ts) and handed to the host channel, which
// publishes it QoS 1 (MQTT.js keeps it while the broker is unreachable and sends it on reconnect). The
// elector may start before the channel does (the site keeps electing with the control plane away), so
// reports made before a channel is attached wait here, in order.
import type { Logger } from 'pino';
import { type VipReport, vipReportSchema } from '../../domain/site-vip.js';
import { ReportSequence } from './report-sequence.js';

export const VIP_SEQ_FILE = 'vip-seq';

export type VipReportFields = Omit<VipReport, 'seq'>;

export class VipReports {
  private sink: ((r: VipReport) => void) | undefined;
  private readonly waiting: VipReport[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly seq: ReportSequence,
    private readonly log: Logger,
  ) {}

  static async open(o: { stateDir: string; log: Logger; now?: () => number }): Promise<VipReports> {
    const log = o.log.child({ component: 'vip-reports' });
    return new VipReports(await ReportSequence.open({ ...o, file: VIP_SEQ_FILE, log }), log);
  }

  /** The last sequence number used (or the one a restart resumes from). */
  currentSeq(): number {
    return this.seq.current();
  }

  /**
   * Numbers the report and hands it on (or keeps it until attach). Never rejects: a report that could not
   * be numbered (the state dir refused the write) is logged and dropped; the next one goes out.
   */
  add(fields: VipReportFields): Promise<VipReport | null> {
    const made = this.seq.next().then(
      (seq) => {
        const report = vipReportSchema.parse({ ...fields, seq });
        if (this.sink) this.sink(report);
        else this.waiting.push(report);
        return report;
      },
      (err: unknown) => {
        this.log.error({ err: String(err), ...fields }, 'could not number the vip report: not sent');
        return null;
      },
    );
    this.chain = made;
    return made;
  }

  /** From now on reports go to `publish`; those made before go first, in order. */
  attach(publish: (r: VipReport) => void): void {
    this.sink = publish;
    for (const r of this.waiting.splice(0)) publish(r);
  }

  /** Resolves once every report added so far was numbered and handed on (or kept). */
  async idle(): Promise<void> {
    await this.chain;
  }
}
