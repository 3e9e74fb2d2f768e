// The certificates the control worker renewed, per host, kept next to the CA (renewed.json) across
// restarts. No workflow message records a renewed serial (the host workflow keeps only the one issued at
// enrollment, which is what DELETE hands back), so without this list a host's renewed certificate would
// outlive its deletion. Only renewals are kept: each one was asked for over the host's own authenticated
// session with its enrolled key, so the list is bounded by the hosts; entries leave once expired.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../agent/state-file.js';

export const RENEWED_FILE = 'renewed.json';

const entrySchema = z.object({
  serial: z.string().regex(/^[0-9a-f]{2,40}$/),
  identity: z.string().min(1).max(64),
  notAfter: z.iso.datetime(),
});
export type RenewedEntry = z.infer<typeof entrySchema>;
const fileSchema = z.object({ version: z.literal(1), renewed: z.array(entrySchema) });

export class RenewedCertificates {
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private entries: RenewedEntry[],
  ) {}

  /** Reads `dir/renewed.json`; missing is empty. A corrupt file is an error: it would hide certificates
   * that a deletion must revoke. */
  static async open(dir: string): Promise<RenewedCertificates> {
    const path = join(dir, RENEWED_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new RenewedCertificates(path, []);
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path} is not a valid certificate list: ${parsed.error.message}`);
    return new RenewedCertificates(path, parsed.data.renewed);
  }

  identityOf(serial: string): string | undefined {
    const s = serial.toLowerCase();
    return this.entries.find((e) => e.serial === s)?.identity;
  }

  /** Serials of this identity's renewed certificates that have not expired. */
  of(identity: string, now = new Date()): string[] {
    return this.entries
      .filter((e) => e.identity === identity && Date.parse(e.notAfter) > now.getTime())
      .map((e) => e.serial);
  }

  /** Records one renewal; resolves once it is on disk. Expired entries are dropped meanwhile. */
  async add(renewed: { serial: string; identity: string; notAfter: Date }, now = new Date()): Promise<void> {
    const entry = entrySchema.parse({
      serial: renewed.serial.toLowerCase(),
      identity: renewed.identity,
      notAfter: renewed.notAfter.toISOString(),
    });
    const kept = this.entries.filter(
      (e) => Date.parse(e.notAfter) > now.getTime() && e.serial !== entry.serial,
    );
    this.entries = [...kept, entry];
    const snapshot = JSON.stringify({ version: 1, renewed: this.entries }, null, 2);
    const write = this.#writing.then(() => writeFileAtomic(this.path, snapshot));
    this.#writing = write.catch(() => undefined);
    await write;
  }
}
