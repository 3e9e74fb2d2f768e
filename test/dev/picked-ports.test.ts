// withPickedPorts: a start that failed because a port it picked was taken meanwhile is tried again with
// fresh picks; a taken port the caller fixed, or any other error, fails at once.
import { describe, expect, it } from 'vitest';
import { PortInUseError, withPickedPorts } from '../../src/dev/process.js';

const taken = (port: number) => new PortInUseError('Temporal', '127.0.0.1', port, `port ${port} taken`);

describe('withPickedPorts', () => {
  it('picks again when a picked port was taken, and says so', async () => {
    const retries: number[] = [];
    let calls = 0;
    const ports = await withPickedPorts(
      '127.0.0.1',
      async (pick) => {
        calls += 1;
        const port = await pick();
        if (calls === 1) throw taken(port);
        return port;
      },
      (port) => retries.push(port),
    );
    expect(calls).toBe(2);
    expect(retries).toHaveLength(1);
    expect(ports).toBeGreaterThan(0);
  });

  it('fails at once for a port the caller fixed, and gives up after three tries', async () => {
    let calls = 0;
    await expect(
      withPickedPorts(
        '127.0.0.1',
        async () => {
          calls += 1;
          throw taken(7233);
        },
        () => undefined,
      ),
    ).rejects.toThrow('port 7233 taken');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withPickedPorts(
        '127.0.0.1',
        async (pick) => {
          calls += 1;
          throw taken(await pick());
        },
        () => undefined,
      ),
    ).rejects.toBeInstanceOf(PortInUseError);
    expect(calls).toBe(3);
  });
});
