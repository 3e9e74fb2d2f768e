// scripts/setup.sh installs what the host channel needs on a fresh Debian machine, without leaving a
// system broker running; and this machine has a mosquitto the broker tests can start.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const script = readFileSync(new URL('../../scripts/setup.sh', import.meta.url), 'utf8');
const pkgs = (/^PKGS=\(([^)]*)\)/m.exec(script)?.[1] ?? '').split(/\s+/).filter(Boolean);

describe('setup.sh', () => {
  it('installs mosquitto and its clients with the other Debian packages', () => {
    expect(pkgs).toEqual(expect.arrayContaining(['mosquitto', 'mosquitto-clients', 'etcd-server']));
  });

  it('keeps package postinsts from starting services, now and at boot', () => {
    const policy = script.indexOf('/usr/sbin/policy-rc.d');
    const install = script.indexOf('DEBIAN_FRONTEND=noninteractive apt-get install');
    expect(policy).toBeGreaterThan(0);
    expect(policy).toBeLessThan(install);
    expect(script).toMatch(/systemctl disable mosquitto\.service/);
    expect(script).toMatch(/update-rc\.d mosquitto disable/);
    // never stops a broker somebody runs on purpose
    expect(script).not.toMatch(/(systemctl|service|invoke-rc\.d)\s+\S*\s*stop|pkill|killall/);
  });

  it('has mosquitto 2 on this machine', async () => {
    const { stdout } = await execa('mosquitto', ['-h'], { reject: false });
    expect(stdout).toMatch(/mosquitto version 2\.\d+\.\d+/);
  });
});
