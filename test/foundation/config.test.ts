import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mqttsUrlSchema } from '../../src/config/broker-url.js';
import { ConfigError, loadEnv } from '../../src/config/env.js';
import { resolveApiConfig, resolveWorkerConfig } from '../../src/config/serve.js';
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
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('ConfigError', () => {
  it('is one line, however many problems', () => {
    expect(new ConfigError(['--x: bad']).message).toBe('invalid configuration: --x: bad');
    expect(new ConfigError(['a', 'b']).message).toBe('invalid configuration: a; b');
  });
});

describe('broker URLs', () => {
  it.each([
    ['mqtts://broker:8883', 'mqtts://broker:8883'],
    ['mqtts://10.0.0.2', 'mqtts://10.0.0.2:8883'],
    ['mqtts://[fd00::2]:9883', 'mqtts://[fd00::2]:9883'],
  ])('accepts %s as %s', (given, normalized) => {
    expect(mqttsUrlSchema.parse(given)).toBe(normalized);
  });

  it.each([
    ['mqtt://broker:1883', /must be mqtts:\/\/HOST:PORT/],
    ['broker:8883', /must be mqtts:\/\/HOST:PORT/],
    ['mqtts://user:pw@broker:8883', /nothing after the port/],
    ['mqtts://broker:8883/x', /nothing after the port/],
    ['mqtts://0.0.0.0:8883', /wildcard/],
  ])('refuses %s', (given, message) => {
    const parsed = mqttsUrlSchema.safeParse(given);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });
});

describe('production worker and API configuration', () => {
  const env = (vars: Record<string, string> = {}) => loadEnv(vars);

  it('worker: --pki-dir and --broker are required, named with their variables', () => {
    const problems = problemsOf(() => resolveWorkerConfig({}, env()));
    expect(problems).toEqual([
      expect.stringMatching(/^--pki-dir \(or EDGE_OVERLAY_PKI_DIR\): required: .*CA/),
      expect.stringMatching(/^--broker \(or EDGE_OVERLAY_BROKER_URL\): required: .*broker/),
    ]);
  });

  it('worker: flags win over the environment; directories become absolute', () => {
    const config = resolveWorkerConfig(
      { pkiDir: 'rel/pki', broker: 'mqtts://flag-broker:9000' },
      env({ EDGE_OVERLAY_PKI_DIR: '/env/pki', EDGE_OVERLAY_BROKER_URL: 'mqtts://env-broker:8883' }),
    );
    expect(config.pkiDir).toBe(join(process.cwd(), 'rel/pki'));
    expect(config.brokerUrl).toBe('mqtts://flag-broker:9000');
    const fromEnv = resolveWorkerConfig(
      {},
      env({ EDGE_OVERLAY_PKI_DIR: '/env/pki', EDGE_OVERLAY_BROKER_URL: 'mqtts://env-broker' }),
    );
    expect(fromEnv).toMatchObject({ pkiDir: '/env/pki', brokerUrl: 'mqtts://env-broker:8883' });
  });

  it('a bad flag value is named with what it got; a bad variable is named by loadEnv', () => {
    expect(
      problemsOf(() => resolveWorkerConfig({ pkiDir: '/p', broker: 'http://x', temporal: 'nope' }, env())),
    ).toEqual([
      "--temporal: must be HOST:PORT, e.g. 127.0.0.1:7233 (got 'nope')",
      expect.stringMatching(/^--broker: must be mqtts:\/\/HOST:PORT.*\(got 'http:\/\/x'\)$/),
    ]);
    expect(() => env({ EDGE_OVERLAY_BROKER_ADVERTISE: 'mqtt://x' })).toThrow(/EDGE_OVERLAY_BROKER_ADVERTISE/);
    expect(() => env({ EDGE_OVERLAY_BROKER_CONFIG_PATH_IN: 'rel' })).toThrow(/absolute/);
  });

  it('api: needs the advertised broker and the broker config dir too; container defaults otherwise', () => {
    const problems = problemsOf(() => resolveApiConfig({ pkiDir: '/p', broker: 'mqtts://b' }, env()));
    expect(problems).toEqual([
      expect.stringMatching(/^--broker-advertise \(or EDGE_OVERLAY_BROKER_ADVERTISE\): required/),
      expect.stringMatching(/^--broker-config-dir \(or EDGE_OVERLAY_BROKER_CONFIG_DIR\): required/),
    ]);
    const config = resolveApiConfig(
      { pkiDir: '/p', broker: 'mqtts://b', brokerAdvertise: 'mqtts://ctl.example', brokerConfigDir: '/cfg' },
      env({ EDGE_OVERLAY_API_PORT: '9090' }),
    );
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      brokerAdvertise: 'mqtts://ctl.example:8883',
      brokerConfigDir: '/cfg',
      brokerListen: { host: '0.0.0.0', port: 8883 },
      brokerConfigPathIn: '/mosquitto/config',
      brokerDataPathIn: '/mosquitto/data',
    });
    expect(
      problemsOf(() =>
        resolveApiConfig(
          {
            pkiDir: '/p',
            broker: 'mqtts://b',
            brokerAdvertise: 'mqtts://a',
            brokerConfigDir: '/c',
            port: '0',
            brokerConfigPathIn: 'relative',
          },
          env(),
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^--port: /),
      expect.stringMatching(/^--broker-config-path-in: .*absolute/),
    ]);
  });
});
