// A Temporal call that is being retried when its connection closes must not throw from the retry timer
// ("Channel has been shut down" as an uncaught exception killed bench:recovery and failed CI): with the
// guard, the retry goes nowhere and nothing escapes. (Checked by hand: with a plain Connection.connect this test
// ends in vitest's "Unhandled Errors: Channel has been shut down"; answering the retry with a status instead
// ends in "savedMessageNext is not a function", also from the SDK's timer.)
import { createConnection, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTemporalClient } from '../../src/clients/temporal/closed-channel-guard.js';
import { temporalAddress } from '../helpers/temporal.js';

/** A TCP forwarder to the dev server that can cut every connection and refuse new ones. */
async function proxy(target: string) {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: listen } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${listen}`,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('closed channel guard', () => {
  it('a call being retried when its connection closes never succeeds and throws nothing', async () => {
    const p = await proxy(temporalAddress());
    const connection = await connectTemporalClient({ address: p.address });
    await connection.workflowService.getSystemInfo({}); // really connected
    p.cut(); // the server is gone: the next call fails UNAVAILABLE and is retried from a timer
    const call = connection.workflowService.getSystemInfo({});
    const settled = call.then(
      () => 'resolved',
      () => 'rejected',
    );
    await new Promise((r) => setTimeout(r, 150));
    await connection.close();
    await new Promise((r) => setTimeout(r, 3_000)); // every pending retry timer has fired by now
    const outcome = await Promise.race([settled, new Promise((r) => setTimeout(() => r('pending'), 100))]);
    expect(outcome).not.toBe('resolved');
  }, 20_000);
});
