// Reaching a remote Temporal over TLS (issue 12, point 6): the environment decides plain, TLS, mutual TLS or
// an API key; bad combinations are clear ConfigErrors that never echo the API key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { temporalConnectOptions } from '../../src/clients/temporal/connection.js';
import { ConfigError } from '../../src/config/env.js';

const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const ca = file('ca.pem', 'CA');
const crt = file('crt.pem', 'CRT');
const key = file('key.pem', 'KEY');
const apiKeyFile = file('api-key', 'file-api-key-0123456789\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const error = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    temporalConnectOptions('t.example:7233', env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('temporalConnectOptions', () => {
  it('is plain without TLS settings', () => {
    expect(temporalConnectOptions('127.0.0.1:7233', {})).toEqual({ address: '127.0.0.1:7233' });
  });

  it('mutual TLS from files, with a server name', () => {
    const o = temporalConnectOptions('t.example:7233', {
      EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: ca,
      EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE: crt,
      EDGE_OVERLAY_TEMPORAL_TLS_KEY_FILE: key,
      EDGE_OVERLAY_TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(o.tls).toMatchObject({ serverNameOverride: 'temporal.internal' });
    const tls = o.tls as { serverRootCACertificate: Buffer; clientCertPair: { crt: Buffer; key: Buffer } };
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect(tls.clientCertPair.crt.toString()).toBe('CRT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');
    expect(o.apiKey).toBeUndefined();
  });

  it('an API key implies TLS (system roots), from the environment or a file', () => {
    expect(
      temporalConnectOptions('t.example:7233', { EDGE_OVERLAY_TEMPORAL_API_KEY: 'env-api-key-0123' }),
    ).toEqual({
      address: 't.example:7233',
      tls: true,
      apiKey: 'env-api-key-0123',
    });
    expect(temporalConnectOptions('t', { EDGE_OVERLAY_TEMPORAL_API_KEY_FILE: apiKeyFile }).apiKey).toBe(
      'file-api-key-0123456789',
    );
    expect(temporalConnectOptions('t', { EDGE_OVERLAY_TEMPORAL_TLS: 'true' }).tls).toBe(true);
  });

  it('refuses half a key pair, unreadable files, two API keys and TLS=false with TLS settings', () => {
    expect(error({ EDGE_OVERLAY_TEMPORAL_TLS_CERT_FILE: crt }).message).toContain('TLS_KEY_FILE');
    expect(error({ EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: join(dir, 'nope') }).message).toContain('ENOENT');
    expect(
      error({
        EDGE_OVERLAY_TEMPORAL_API_KEY: 'a-secret-api-key',
        EDGE_OVERLAY_TEMPORAL_API_KEY_FILE: apiKeyFile,
      }).message,
    ).toContain('give one');
    expect(
      error({ EDGE_OVERLAY_TEMPORAL_TLS: 'false', EDGE_OVERLAY_TEMPORAL_API_KEY: 'a-secret-api-key' })
        .message,
    ).toContain('needs TLS');
  });

  it('never echoes an API key in an error', () => {
    const err = error({ EDGE_OVERLAY_TEMPORAL_API_KEY: 'abc12' });
    expect(err.message).toContain('EDGE_OVERLAY_TEMPORAL_API_KEY');
    expect(err.message).not.toContain('abc12');
  });
});
