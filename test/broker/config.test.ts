// The broker's rules as rendered text: exactly the grants we mean, nothing more.
import { describe, expect, it } from 'vitest';
import { renderAcl, renderMosquittoConf } from '../../src/broker/config.js';

const files = {
  cafile: '/d/ca.crt',
  certfile: '/d/s.crt',
  keyfile: '/d/s.key',
  crlfile: '/d/crl.pem',
  aclfile: '/d/acl',
};
const lines = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('#'));

describe('broker config', () => {
  it('grants the control identity the v1 tree and every other identity its own subtree only', () => {
    expect(lines(renderAcl())).toEqual([
      'user control.edge-overlay',
      'topic readwrite edge-overlay/v1/#',
      'pattern readwrite edge-overlay/v1/hosts/%u/#',
    ]);
  });

  it('requires client certificates, takes identity and client id from the CN, checks the CRL', () => {
    const conf = lines(renderMosquittoConf({ host: '127.0.0.1', port: 8883, files, runAsRoot: false }));
    for (const l of [
      'per_listener_settings false',
      'allow_anonymous false',
      'listener 8883 127.0.0.1',
      'require_certificate true',
      'use_identity_as_username true',
      'use_username_as_clientid true',
      'crlfile /d/crl.pem',
      'acl_file /d/acl',
      'persistence false',
    ]) {
      expect(conf).toContain(l);
    }
    expect(conf.some((l) => l.startsWith('user '))).toBe(false);
    expect(conf.filter((l) => l.startsWith('listener'))).toHaveLength(1);
  });

  it('runs as root when started as root (0600 key files), and persists sessions when asked', () => {
    const conf = lines(
      renderMosquittoConf({ host: '0.0.0.0', port: 1, files, runAsRoot: true, persistenceDir: '/d/data' }),
    );
    expect(conf).toContain('user root');
    expect(conf).toContain('persistence true');
    expect(conf).toContain('persistence_location /d/data/');
  });

  it('refuses paths that would change the config', () => {
    expect(() =>
      renderMosquittoConf({
        host: 'h',
        port: 1,
        files: { ...files, keyfile: '/d/k\nlistener 1883' },
        runAsRoot: false,
      }),
    ).toThrow(/unusable path/);
  });
});
