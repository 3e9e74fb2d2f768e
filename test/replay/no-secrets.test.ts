// No secret in history (issue 12, point 6): every payload of the recorded v5, v6 and v7 cluster and v3 host-join
// histories is decoded and searched for key material. Older histories carried the shared beacon key (v2-v4):
// the scan must find it there, which shows it reads the payloads at all.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/** Every payload's data (base64 in protojson), decoded, joined: what a reader of the history can see. */
function decodedPayloads(file: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.data === 'string' && o.metadata) out.push(Buffer.from(o.data, 'base64').toString('utf8'));
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(JSON.parse(readFileSync(dir + file, 'utf8')));
  return out.join('\n');
}

const SECRET_MARKERS = [
  /PRIVATE KEY/,
  /"beaconKey"/,
  /"joinToken"/,
  /"token"\s*:/,
  /"keyPem"/,
  /"privateKey/,
];

describe('recorded histories carry no key material', () => {
  const current = files.filter(
    (f) => /^cluster-.*-v[567]\.json$/.test(f) || /^host-join-.*-v3\.json$/.test(f),
  );

  it('scans every current history', () => {
    expect(current.length).toBeGreaterThanOrEqual(15);
    for (const f of current) {
      const text = decodedPayloads(f);
      expect(text.length, f).toBeGreaterThan(200);
      for (const marker of SECRET_MARKERS) expect(text, `${f} matches ${marker}`).not.toMatch(marker);
    }
  });

  it('finds the shared beacon key in the histories recorded before v5 (the scan works)', () => {
    const v4 = files.filter((f) => /^cluster-.*-v4\.json$/.test(f));
    expect(v4.length).toBeGreaterThan(0);
    expect(v4.some((f) => /"beaconKey"/.test(decodedPayloads(f)))).toBe(true);
  });
});
