// docs/cli.md and docs/api.md are generated (npm run docs): they must describe the program and the API
// as they are, so a new option or route without a regenerated page fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/dev/paths.js';
import { DOC_FILES, renderDocs } from '../../src/docs/render.js';

describe('reference pages', () => {
  it.each(DOC_FILES)('%s matches the program and the API (else: npm run docs)', async (file) => {
    const pages = await renderDocs();
    expect(readFileSync(join(repoRoot, file), 'utf8')).toBe(pages[file]);
  });

  it('the CLI page documents every command and the API page every route', async () => {
    const pages = await renderDocs();
    for (const cmd of [
      'edge-overlay cluster create',
      'edge-overlay hosts reset',
      'edge-overlay lab down',
      'edge-overlay agent',
    ]) {
      expect(pages['docs/cli.md']).toContain(`\`${cmd}\``);
    }
    expect(pages['docs/cli.md']).toContain('--timeout <duration>');
    for (const route of ['POST /v1/clusters', 'GET /v1/clusters/{name}', 'POST /v1/hosts/enroll']) {
      expect(pages['docs/api.md']).toContain(`\`${route}\``);
    }
  });
});
