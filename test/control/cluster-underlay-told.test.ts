// What the relay does once a cluster was told of underlay changes (src/control/cluster-underlay.ts onTold):
// the host relay derives the cluster's next peer tables from exactly what was delivered
// (src/control/peer-tables.ts advance). Delivered changes are reported, each host once; a signal that did not
// reach the cluster reports nothing. The signal path itself runs against a real server in
// cluster-underlay.test.ts and reports.test.ts; here a stub client records the signals.
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createClusterUnderlay, type UnderlayChange } from '../../src/control/cluster-underlay.js';
import { KeyedQueue } from '../../src/control/keyed-queue.js';
import type { HostRecord } from '../../src/domain/types.js';

function stubClient(fail: () => boolean) {
  const signals: Array<{ workflowId: string; name: string; arg: unknown }> = [];
  const client = {
    connection: { withDeadline: (_deadline: number, call: () => Promise<unknown>) => call() },
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async (def: { name: string } | string, arg: unknown) => {
          await new Promise((r) => setTimeout(r, 5));
          if (fail()) throw new Error('server unreachable');
          signals.push({ workflowId, name: typeof def === 'string' ? def : def.name, arg });
        },
      }),
    },
  } as unknown as Client;
  return { client, signals };
}

function underlay(fail = () => false) {
  const { client, signals } = stubClient(fail);
  const told: Array<{ cluster: string; changes: UnderlayChange[] }> = [];
  const queue = new KeyedQueue(4, () => undefined);
  const clusters = createClusterUnderlay({
    client,
    queue,
    log: pino({ level: 'silent' }),
    callOptions: { retryDelaysMs: [] },
    onTold: (cluster, changes) => told.push({ cluster, changes: [...changes] }),
  });
  return { clusters, queue, told, signals };
}

const change = (hostId: string, seq: number): UnderlayChange => ({
  hostId,
  underlayIp: `192.168.9.${seq}`,
  seq,
});

describe('cluster underlay: what was told is reported for the peer tables', () => {
  it('reports each delivered batch with its cluster; every host once', async () => {
    const { clusters, queue, told, signals } = underlay();
    for (const [i, id] of ['h1', 'h2', 'h3'].entries()) clusters.early(id, 'c', change(id, 10 + i));
    clusters.early('h9', 'other', change('h9', 5));
    await queue.idle();
    expect(told.length).toBe(signals.length);
    const toC = told.filter((t) => t.cluster === 'c').flatMap((t) => t.changes.map((c) => c.hostId));
    expect(toC.sort()).toEqual(['h1', 'h2', 'h3']);
    expect(told.filter((t) => t.cluster === 'other')).toEqual([
      { cluster: 'other', changes: [change('h9', 5)] },
    ]);
  });

  it('a signal that did not reach the cluster reports nothing; one sent after the update reports its change', async () => {
    let failing = true;
    const { clusters, queue, told } = underlay(() => failing);
    clusters.early('h1', 'c', change('h1', 20));
    await queue.idle();
    expect(told).toEqual([]);
    failing = false;
    const record = { hostId: 'h1', cluster: 'c', underlayIp: '192.168.9.21', underlaySeq: 21 } as HostRecord;
    await clusters.afterUpdate(record);
    expect(told).toEqual([
      { cluster: 'c', changes: [{ hostId: 'h1', underlayIp: '192.168.9.21', seq: 21 }] },
    ]);
  });
});
