// `edge-overlay worker` / `edge-overlay api` refuse a configuration they cannot run with: one line on stderr
// naming the flag and its variable, exit 2, no stack trace, and nothing made on disk before the check.
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = new URL('../../bin/edge-overlay.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'eo-serve-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const API_KEY = 'secret-api-key-never-echoed';

/** Runs the CLI with only the environment given (none of the caller's EDGE_OVERLAY_* leaks in). */
async function run(args: string[], env: Record<string, string> = {}) {
  const res = await execa('node', [bin, ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, ...env },
    timeout: 30_000,
  });
  return { code: res.exitCode, stderr: res.stderr, stdout: res.stdout };
}

const oneLine = (stderr: string) => {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^edge-overlay: invalid configuration: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
};

describe('production commands refuse an incomplete configuration', () => {
  it('worker without the PKI dir and the broker: both named, with their variables (v2 needs the broker)', async () => {
    const res = await run(['worker']);
    expect(res.code).toBe(2);
    const line = oneLine(res.stderr);
    expect(line).toMatch(/--pki-dir \(or EDGE_OVERLAY_PKI_DIR\): required/);
    expect(line).toMatch(/--broker \(or EDGE_OVERLAY_BROKER_URL\): required: .*through the broker/);
  });

  it('worker with a plain-MQTT broker URL', async () => {
    const res = await run(['worker', '--pki-dir', join(dir, 'p1'), '--broker', 'mqtt://broker:1883']);
    expect(res.code).toBe(2);
    expect(oneLine(res.stderr)).toMatch(
      /--broker: must be mqtts:\/\/HOST:PORT.*\(got 'mqtt:\/\/broker:1883'\)/,
    );
    expect(existsSync(join(dir, 'p1'))).toBe(false);
  });

  it('api without the advertised broker and the broker config dir', async () => {
    const res = await run(['api', '--pki-dir', join(dir, 'p2'), '--broker', 'mqtts://broker:8883'], {
      EDGE_OVERLAY_TOKEN: 'a-token-of-24-characters',
    });
    expect(res.code).toBe(2);
    const line = oneLine(res.stderr);
    expect(line).toMatch(/--broker-advertise \(or EDGE_OVERLAY_BROKER_ADVERTISE\): required/);
    expect(line).toMatch(/--broker-config-dir \(or EDGE_OVERLAY_BROKER_CONFIG_DIR\): required/);
    expect(existsSync(join(dir, 'p2'))).toBe(false);
  });

  it('a bad variable is named too (flags win, the environment is checked all the same)', async () => {
    const res = await run(['worker', '--pki-dir', join(dir, 'p3')], {
      EDGE_OVERLAY_BROKER_URL: 'broker:8883',
    });
    expect(res.code).toBe(2);
    expect(oneLine(res.stderr)).toMatch(/EDGE_OVERLAY_BROKER_URL: must be mqtts:\/\/HOST:PORT/);
  });

  it.each(['worker', 'api'])(
    '%s reads the Temporal TLS settings before it touches anything (and never echoes an API key)',
    async (command) => {
      const pkiDir = join(dir, `tls-${command}`);
      const args = [
        command,
        '--pki-dir',
        pkiDir,
        '--broker',
        'mqtts://127.0.0.1:8883',
        ...(command === 'api'
          ? [
              '--broker-advertise',
              'mqtts://127.0.0.1:8883',
              '--broker-config-dir',
              join(dir, `cfg-${command}`),
            ]
          : []),
      ];
      const res = await run(args, {
        EDGE_OVERLAY_TOKEN: 'a-token-of-24-characters',
        EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: join(dir, 'missing-ca.pem'),
        EDGE_OVERLAY_TEMPORAL_API_KEY: API_KEY,
        EDGE_OVERLAY_TEMPORAL_TLS: 'false',
      });
      expect(res.code).toBe(2);
      const line = oneLine(res.stderr);
      expect(line).toMatch(/EDGE_OVERLAY_TEMPORAL_TLS_CA_FILE: cannot read .*missing-ca\.pem \(ENOENT\)/);
      expect(res.stderr + res.stdout).not.toContain(API_KEY);
      expect(existsSync(pkiDir)).toBe(false);
    },
  );
});
