// Liveness through the real broker: online (retained) on every connect, the Last Will (offline) only
// after a real disappearance, never for a reconnect within the will delay; a dead connection (address
// change) is replaced at once by reconnectNow instead of after the keepalive.
import { describe, expect, it } from 'vitest';
import type { HostStatus } from '../../../src/contract/host-channel.js';
import { channelTestBed, pause, until } from './support.js';

const bed = channelTestBed();
const statuses = (hostId: string) => bed.control.of(hostId, 'status').map((s) => s.body as HostStatus);
const retainedStatus = (hostId: string) => bed.control.retained(hostId, 'status');

describe('host channel: liveness', () => {
  it('publishes a retained online status with its epoch and version on connect', async () => {
    const { ch } = await bed.host('l1', { epoch: 42, agentVersion: '2.0.0' });
    await until('online', () => statuses('l1').length > 0);
    expect(await retainedStatus('l1')).toEqual({ online: true, epoch: 42, agentVersion: '2.0.0' });
    await ch.stop();
    expect(await retainedStatus('l1')).toEqual({ online: false });
  });

  it('a connection killed and re-made within the will delay never shows the host offline', async () => {
    const { ch, proxy } = await bed.behindProxy('l2', { willDelayS: 2 });
    await until('online', () => statuses('l2').length === 1);
    proxy.cut(); // the broker sees the TCP connection close without DISCONNECT
    await pause(100);
    proxy.restore();
    await until('reconnected', () => ch.stats().connects === 2);
    await pause(2500); // past the will delay
    expect(statuses('l2').every((s) => s.online)).toBe(true);
    expect(statuses('l2')).toHaveLength(2); // online again on the new connection
    expect(await retainedStatus('l2')).toMatchObject({ online: true });
  });

  it('a host that really disappears is published offline by its Will after the will delay', async () => {
    const { proxy } = await bed.behindProxy('l3', { willDelayS: 1 });
    await until('online', () => statuses('l3').length === 1);
    const cutAt = Date.now();
    proxy.cut(); // and stays cut: the agent cannot come back
    await until('offline', () => statuses('l3').some((s) => !s.online), 8000);
    const offlineAt = bed.control.of('l3', 'status').find((s) => !(s.body as HostStatus).online)!.at;
    process.stdout.write(`[measure] disappearance → offline (will delay 1 s): ${offlineAt - cutAt} ms\n`);
    expect(offlineAt - cutAt).toBeGreaterThanOrEqual(900);
    expect(await retainedStatus('l3')).toEqual({ online: false });
  });

  it('after an address change (dead connection) reconnectNow gets commands through at once, not after the keepalive', async () => {
    const { ch, proxy, rec } = await bed.behindProxy('l4', { willDelayS: 10 });
    proxy.blackhole(); // the old connection is open but nothing crosses it any more
    const sent = await bed.control.send('l4', { kind: 'preflight' });
    await pause(500);
    expect(rec.calls).toHaveLength(0);
    expect(ch.connected()).toBe(true); // MQTT.js has not noticed (keepalive is 10 s)
    const t0 = Date.now();
    ch.reconnectNow();
    await until('command handled', () => rec.calls.length === 1);
    await until('result', () =>
      bed.control.of('l4', 'results').some((s) => (s.body as { id: string }).id === sent.id),
    );
    process.stdout.write(
      `[measure] reconnectNow on a dead connection → queued command handled: ${rec.calls[0]!.at - t0} ms\n`,
    );
    expect(rec.calls[0]!.at - t0).toBeLessThan(2000);
    expect(statuses('l4').every((s) => s.online)).toBe(true);
  });
});
