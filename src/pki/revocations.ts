// The revoked certificates, kept in a small file (revoked.json, atomic writes) in the CA's data dir, and
// the CRL file mosquitto reads (`crlfile`). Each entry keeps the identity the certificate was issued to:
// a CRL only stops NEW connections, and the broker needs the identity to drop a live one
// (see src/broker/revocation.ts).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../agent/state-file.js';
import type { ProductCa } from './ca.js';

export const REVOKED_FILE = 'revoked.json';

const serialSchema = z.string().regex(/^[0-9a-f]{2,40}$/, 'lowercase hex serial');

export const revokedCertSchema = z.object({
  serial: serialSchema,
  /** CN of the certificate (host id or control identity). */
  identity: z.string().min(1).max(64),
  revokedAt: z.iso.datetime(),
});
export type RevokedCert = z.infer<typeof revokedCertSchema>;

const fileSchema = z.object({ version: z.literal(1), revoked: z.array(revokedCertSchema) });

export class Revocations {
  /** Writes are chained so concurrent revokes never lose one another's entries. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private entries: RevokedCert[],
  ) {}

  /** Reads `dir/revoked.json`; a missing file is an empty list, a corrupt one an error (never forget a
   * revocation silently). */
  static async open(dir: string): Promise<Revocations> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, REVOKED_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Revocations(path, []);
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${path} is not a valid revocation list: ${parsed.error.message}`);
    return new Revocations(path, parsed.data.revoked);
  }

  list(): readonly RevokedCert[] {
    return this.entries;
  }

  serials(): string[] {
    return this.entries.map((e) => e.serial);
  }

  has(serial: string): boolean {
    const s = serial.toLowerCase();
    return this.entries.some((e) => e.serial === s);
  }

  /** Adds a serial (idempotent) and persists the list; resolves once it is on disk. */
  async revoke(serial: string, identity: string, now = new Date()): Promise<RevokedCert> {
    const entry = revokedCertSchema.parse({
      serial: serial.toLowerCase(),
      identity,
      revokedAt: now.toISOString(),
    });
    const existing = this.entries.find((e) => e.serial === entry.serial);
    if (existing) return existing;
    this.entries = [...this.entries, entry];
    const snapshot = JSON.stringify({ version: 1, revoked: this.entries }, null, 2);
    const write = this.#writing.then(() => writeFileAtomic(this.path, snapshot));
    this.#writing = write.catch(() => undefined);
    await write;
    return entry;
  }
}

/** Writes the CRL for these serials atomically (rename: mosquitto never reads half a file). */
export async function writeCrlFile(path: string, ca: ProductCa, serials: readonly string[]): Promise<void> {
  await writeFileAtomic(path, await ca.crlPem(serials));
}
