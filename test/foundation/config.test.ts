import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config/env.js';
import { resolveToken } from '../../src/config/token.js';

describe('loadEnv', () => {
  it('applies the defaults of DESIGN.md', () => {
    const env = loadEnv({});
    expect(env.EDGE_OVERLAY_TEMPORAL).toBe('127.0.0.1:7233');
    expect(env.EDGE_OVERLAY_NAMESPACE).toBe('default');
  });

  it('names every bad variable and the value it got', () => {
    let error: unknown;
    try {
      loadEnv({
        EDGE_OVERLAY_TEMPORAL: 'http://x',
        EDGE_OVERLAY_LOG_LEVEL: 'loud',
        EDGE_OVERLAY_API_PORT: '70000',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/EDGE_OVERLAY_TEMPORAL: must be HOST:PORT.*\(got 'http:\/\/x'\)/);
    expect(problems.join('\n')).toMatch(/EDGE_OVERLAY_LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/EDGE_OVERLAY_API_PORT/);
  });

  it('rejects a port outside 1-65535 in HOST:PORT', () => {
    expect(() => loadEnv({ EDGE_OVERLAY_TEMPORAL: 'localhost:99999' })).toThrow(/port must be 1-65535/);
  });

  it('rejects a short token', () => {
    expect(() => loadEnv({ EDGE_OVERLAY_TOKEN: 'short' })).toThrow(/at least 16/);
  });
});

describe('resolveToken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eo-token-'));

  it('prefers --token-file over the environment', () => {
    const file = join(dir, 'tok');
    writeFileSync(file, 'file-token-0123456789\n');
    expect(resolveToken({ tokenFile: file, envToken: 'env-token-0123456789' })).toMatchObject({
      token: 'file-token-0123456789',
      origin: 'file',
    });
  });

  it('generates a private token once and reuses it', () => {
    const into = join(dir, 'gen', 'api-token');
    const first = resolveToken({ generateInto: into });
    expect(first.origin).toBe('generated');
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(into).mode & 0o777).toBe(0o600);
    const second = resolveToken({ generateInto: into });
    expect(second).toMatchObject({ token: first.token, origin: 'existing-file' });
    expect(readFileSync(into, 'utf8').trim()).toBe(first.token);
  });

  it('fails clearly when no token source is given', () => {
    expect(() => resolveToken({})).toThrow(/EDGE_OVERLAY_TOKEN or pass --token-file/);
  });

  it('fails clearly on an unreadable token file', () => {
    expect(() => resolveToken({ tokenFile: join(dir, 'missing') })).toThrow(/cannot read/);
  });
});
