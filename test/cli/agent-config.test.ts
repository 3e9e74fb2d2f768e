// `edge-overlay agent` configuration (DESIGN.md v2): flags win over the environment, the join token comes
// from --join-token, --join-token-file or EDGE_OVERLAY_JOIN_TOKEN (never two flags at once), every value is
// checked before anything starts, and no error message ever contains the token.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadAgentEnv, resolveAgentConfig } from '../../src/agent/cli.js';
import { ConfigError } from '../../src/config/env.js';
import { runCli } from './helper.js';

const dir = mkdtempSync(join(tmpdir(), 'eo-agent-config-'));
const flags = {
  hostId: 'h1',
  underlayIface: 'eth0',
  api: 'http://10.0.0.2:8080',
  stateDir: join(dir, 'state'),
};
// Shaped like real tokens, and distinct: a message that names one is easy to catch.
const FLAG_TOKEN = 'flagTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const ENV_TOKEN = 'envTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const FILE_TOKEN = 'fileTokenCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
const tokenFile = (name: string, text: string): string => {
  const f = join(dir, name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
};
const agentArgs = (...extra: string[]) => [
  'agent',
  '--host-id',
  'h1',
  '--underlay-iface',
  'eth0',
  '--api',
  'http://127.0.0.1:9',
  '--state-dir',
  join(dir, 'never-created'),
  ...extra,
];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent config resolution', () => {
  it('the join token flag wins over the environment, the file over the environment too', () => {
    const env = loadAgentEnv({ EDGE_OVERLAY_JOIN_TOKEN: ENV_TOKEN });
    expect(resolveAgentConfig(flags, env).joinToken).toBe(ENV_TOKEN);
    expect(resolveAgentConfig({ ...flags, joinToken: FLAG_TOKEN }, env).joinToken).toBe(FLAG_TOKEN);
    const file = tokenFile('ok.token', `${FILE_TOKEN}\n`);
    expect(resolveAgentConfig({ ...flags, joinTokenFile: file }, env).joinToken).toBe(FILE_TOKEN);
  });

  it('no token at all is fine (a host that already enrolled runs on its certificate)', () => {
    const c = resolveAgentConfig(flags, loadAgentEnv({}));
    expect(c).toEqual({ hostId: 'h1', underlayIface: 'eth0', apiUrl: flags.api, stateDir: flags.stateDir });
  });

  it('the broker is taken as given; without it the agent derives it from the API', () => {
    const c = resolveAgentConfig({ ...flags, broker: 'mqtts://10.0.0.2:18883' }, loadAgentEnv({}));
    expect(c.brokerUrl).toBe('mqtts://10.0.0.2:18883');
    expect(resolveAgentConfig(flags, loadAgentEnv({})).brokerUrl).toBeUndefined();
  });

  it('--join-token and --join-token-file together are refused', () => {
    const file = tokenFile('both.token', FILE_TOKEN);
    const err = (() => {
      try {
        resolveAgentConfig({ ...flags, joinToken: FLAG_TOKEN, joinTokenFile: file }, loadAgentEnv({}));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/--join-token and --join-token-file/);
    expect(err?.message).not.toContain(FLAG_TOKEN);
    expect(err?.message).not.toContain(FILE_TOKEN);
  });

  it('a token file that is missing, unreadable or malformed is a clear error without its content', () => {
    const missing = () =>
      resolveAgentConfig({ ...flags, joinTokenFile: join(dir, 'nope') }, loadAgentEnv({}));
    expect(missing).toThrow(/--join-token-file: cannot read .*nope \(ENOENT\)/);
    const bad = `${FILE_TOKEN}!! and more`;
    const garbled = () =>
      resolveAgentConfig({ ...flags, joinTokenFile: tokenFile('bad.token', bad) }, loadAgentEnv({}));
    expect(garbled).toThrow(/--join-token-file: join token has characters a token never has/);
    expect(() => garbled()).not.toThrow(new RegExp(FILE_TOKEN));
    const dirAsFile = () => resolveAgentConfig({ ...flags, joinTokenFile: dir }, loadAgentEnv({}));
    expect(dirAsFile).toThrow(/cannot read .* \(EISDIR\)/);
  });

  it('a malformed EDGE_OVERLAY_JOIN_TOKEN is refused by name, never echoed', () => {
    const bad = `${ENV_TOKEN}/oops`;
    let message = '';
    try {
      loadAgentEnv({ EDGE_OVERLAY_JOIN_TOKEN: bad });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/EDGE_OVERLAY_JOIN_TOKEN: join token has characters/);
    expect(message).not.toContain(ENV_TOKEN);
  });

  it('log level and format come from the environment and are checked', () => {
    expect(loadAgentEnv({ EDGE_OVERLAY_LOG_LEVEL: 'warn' }).EDGE_OVERLAY_LOG_LEVEL).toBe('warn');
    expect(() => loadAgentEnv({ EDGE_OVERLAY_LOG_FORMAT: 'xml' })).toThrow(/EDGE_OVERLAY_LOG_FORMAT/);
  });
});

describe('`edge-overlay agent` refuses a bad configuration before it starts', () => {
  afterEach(() => {
    delete process.env['EDGE_OVERLAY_JOIN_TOKEN'];
  });

  it('a bad environment token: exit 2, the variable named, the value not printed', async () => {
    process.env['EDGE_OVERLAY_JOIN_TOKEN'] = `${ENV_TOKEN} with spaces`;
    const res = await runCli(agentArgs());
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/EDGE_OVERLAY_JOIN_TOKEN/);
    expect(res.stderr + res.stdout).not.toContain(ENV_TOKEN);
  });

  it('both token flags: exit 2 and neither token printed', async () => {
    const file = tokenFile('cli-both.token', FILE_TOKEN);
    chmodSync(file, 0o600);
    const res = await runCli(agentArgs('--join-token', FLAG_TOKEN, '--join-token-file', file));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/give one/);
    expect(res.stderr + res.stdout).not.toContain(FLAG_TOKEN);
    expect(res.stderr + res.stdout).not.toContain(FILE_TOKEN);
  });

  it('a malformed --join-token is refused without echoing it', async () => {
    // commander quotes a value its parser refuses: the flag is checked by resolveAgentConfig instead
    const res = await runCli(agentArgs('--join-token', `${FLAG_TOKEN}#bad`));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--join-token: join token has characters a token never has/);
    expect(res.stderr + res.stdout).not.toContain(FLAG_TOKEN);
  });

  it('a broker URL that is not mqtts:// and an API URL that is not http(s) are refused by flag', async () => {
    const broker = await runCli(agentArgs('--broker', 'tcp://10.0.0.2:1883'));
    expect(broker.code).not.toBe(0);
    expect(broker.stderr).toMatch(/--broker.*mqtts:\/\//s);
    const api = await runCli([...agentArgs().slice(0, 5), '--api', 'ftp://x']);
    expect(api.code).not.toBe(0);
    expect(api.stderr).toMatch(/--api/);
  });

  it('the help names every flag of the contract and no Temporal or admin token option', async () => {
    const res = await runCli(['agent', '--help']);
    for (const f of [
      '--host-id',
      '--underlay-iface',
      '--api',
      '--broker',
      '--join-token ',
      '--join-token-file',
      '--state-dir',
    ])
      expect(res.stdout).toContain(f);
    expect(res.stdout).not.toMatch(/--temporal|--token-file|--heartbeat/);
  });
});
