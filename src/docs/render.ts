// Both reference pages as the program and the API are now: what `npm run docs` writes into docs/ and
// what test/docs/docs.test.ts compares the committed pages with.
import { Client } from '@temporalio/client';
import { pino } from 'pino';
import { buildApp } from '../api/app.js';
import { PUBLIC_ROUTES } from '../api/auth.js';
import { buildProgram } from '../cli.js';
import { type OpenApiDoc, renderApiReference } from './api-reference.js';
import { renderCliReference } from './cli-reference.js';

export const DOC_FILES = ['docs/cli.md', 'docs/api.md'] as const;

export async function renderDocs(): Promise<Record<(typeof DOC_FILES)[number], string>> {
  // A lazy client never connects: building the routes and their OpenAPI document needs no Temporal.
  const app = await buildApp({
    client: new Client(),
    log: pino({ level: 'silent' }),
    token: 'docs-token-not-used-0123456789',
    uiBaseUrl: null,
    namespace: 'default',
  });
  try {
    await app.ready();
    const doc = app.swagger() as unknown as OpenApiDoc;
    return {
      'docs/cli.md': renderCliReference(buildProgram()),
      'docs/api.md': renderApiReference(doc, PUBLIC_ROUTES),
    };
  } finally {
    await app.close();
  }
}
