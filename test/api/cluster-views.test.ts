// GET's view source (src/api/cluster-views.ts) against the real dev server: one query, a closed run is
// "not running", and a query that cannot be answered in time or fails (here: no worker) falls back to the
// last view only when that view is recent enough.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterViews } from '../../src/api/cluster-views.js';
import { deleteClusterUpdate } from '../../src/contract/workflow-messages.js';
import { ClusterHarness, roles } from '../workflows/support/cluster-harness.js';

describe('cluster views', () => {
  let h: ClusterHarness;
  beforeAll(async () => {
    h = await ClusterHarness.create();
  });
  afterAll(async () => h.close());

  it('answers from the query, from a recent view while the query hangs, and null once the run closed', async () => {
    const hosts = await h.addHosts(2);
    const { name, handle } = await h.startCluster(roles(hosts, 1));
    await h.waitForView(name, 'Ready', (v) => v.phase === 'Ready');
    let clock = Date.now();
    const views = createClusterViews(h.client, { freshWaitMs: 300, maxAgeMs: 5_000, now: () => clock });

    const fresh = await views.read(name);
    expect(fresh).toMatchObject({ ageMs: 0, view: { name, phase: 'Ready' } });
    expect(fresh?.view.hosts).toHaveLength(2);

    // No worker: the query waits (as the API does, under a deadline). A view 2 s old is answered after
    // freshWaitMs, with its age.
    const underDeadline = () => h.client.connection.withDeadline(Date.now() + 1_500, () => views.read(name));
    await h.stopControlWorker();
    clock += 2_000;
    const t0 = Date.now();
    const remembered = await underDeadline();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(remembered).toMatchObject({ ageMs: 2_000, view: { name, phase: 'Ready' } });

    // The query fails outright before freshWaitMs (a deadline shorter than it): the recent view answers.
    await new Promise((r) => setTimeout(r, 1_600)); // the query still in flight from above has failed by now
    const quickFail = await h.client.connection.withDeadline(Date.now() + 100, () => views.read(name));
    expect(quickFail).toMatchObject({ ageMs: 2_000, view: { name, phase: 'Ready' } });

    // Too old to answer with: the GET waits for the query (here until its deadline).
    clock += 10_000;
    await expect(underDeadline()).rejects.toThrow();
    await expect(
      h.client.connection.withDeadline(Date.now() + 100, () => views.read(name)),
    ).rejects.toThrow();

    await h.startControlWorker();
    expect((await views.read(name))?.ageMs).toBe(0);
    await handle.executeUpdate(deleteClusterUpdate);
    await handle.result();
    expect(await views.read(name)).toBeNull();
    // Never created: the route turns this into a 404 as well.
    await expect(views.read('never-created-x')).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
  });
});
