import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient, testWorker, uniqueTaskQueue } from '../helpers/temporal.js';

describe('real Temporal dev server', () => {
  let client: Awaited<ReturnType<typeof testClient>>;
  beforeAll(async () => {
    client = await testClient();
  });
  afterAll(async () => client.close());

  it('runs a workflow through a real worker and records it in history', async () => {
    const taskQueue = uniqueTaskQueue('smoke');
    const { worker, close } = await testWorker({
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/smoke-workflows.ts', import.meta.url)),
      activities: { greet: async (name: string) => `hello ${name}` },
    });
    const result = await worker.runUntil(
      client.client.workflow.execute('smokeWorkflow', {
        taskQueue,
        workflowId: `smoke-${taskQueue}`,
        args: ['edge'],
      }),
    );
    await close();
    expect(result).toBe('hello edge');
    const history = await client.client.workflow.getHandle(`smoke-${taskQueue}`).fetchHistory();
    const types = history.events?.map((e) => e.eventType) ?? [];
    expect(types.length).toBeGreaterThan(5);
  });

  it('has the search attributes the UI needs', async () => {
    const res = await client.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(res.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['ClusterName', 'ClusterPhase', 'HostCount']),
    );
  });
});
