// npm run docs: writes the CLI and HTTP API reference pages (docs/cli.md, docs/api.md) from the program
// and the API's OpenAPI document. Run it after changing a command, an option or a route; the docs test
// fails until the committed pages match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../src/dev/paths.js';
import { renderDocs } from '../src/docs/render.js';

const pages = await renderDocs();
for (const [file, text] of Object.entries(pages)) {
  mkdirSync(dirname(join(repoRoot, file)), { recursive: true });
  writeFileSync(join(repoRoot, file), text);
  process.stderr.write(`wrote ${file} (${text.length} bytes)\n`);
}
