// What GET /v1/clusters/:name reads: the cluster workflow's status query, with three things around it so the
// answer comes within 1 s at any moment (issue 11), also while a thousand hosts join:
// - one query only (no describe first): a query rejected because the run is closed means "not running" (404);
// - concurrent GETs of one cluster share the query in flight (a dashboard of N clients costs one query);
// - a query waits behind the workflow task in flight (Temporal answers it with the next one), and while a
//   large join keeps the cluster's workflow tasks back to back on a loaded server that can take seconds. After
//   freshWaitMs the GET answers with the last view this API got (from a query or from the cluster's answer
//   to a change made through this API), if it is at most maxAgeMs old; the query goes on and refreshes it.
//   Such an answer carries its age (HTTP `Age`), as does one given when the query fails outright. Without a
//   recent enough view the GET waits for the query.
// - a query now and then is held for seconds while the workflow is idle: a late one is asked again
//   (clients/temporal/hedged.ts).
import { type Client, QueryRejectedError, WorkflowClient, WorkflowNotFoundError } from '@temporalio/client';
import { QUERY_HEDGE, hedged } from '../clients/temporal/hedged.js';
import { clusterStatusQuery } from '../contract/workflow-messages.js';
import { clusterWorkflowId } from '../domain/ids.js';
import type { ClusterView } from '../domain/types.js';

export interface ClusterViewsOptions {
  /** How long a GET waits for the query before it answers with a remembered view. */
  freshWaitMs?: number;
  /** The oldest remembered view a GET may answer with. */
  maxAgeMs?: number;
  /** Clusters whose last view is remembered (least recently read ones are forgotten first). */
  maxEntries?: number;
  now?: () => number;
}

/** maxAgeMs: while 1000 hosts were admitted and joined (bench:api --big 1000) the status query was
 * slower than 10 s for stretches (workflow tasks of ~8 s back to back); with 10 s here the GETs of those
 * stretches waited for it and 12 of 7 813 answered after 1-10 s (8 of them 503). A view up to 30 s old,
 * marked with its Age, answers them within the 1 s budget instead.
 * freshWaitMs: the rest of the 1 s is for the process itself. At 700 the GETs answered from memory took
 * 715-760 ms, and 4 of 8 349 went over 1 s (max 1.17 s) while the 1 000 hosts joined beside 1 000 small
 * clusters (a 4 GB control-plane process, bench:api 1 000 x 3 + 1 000). At 400 the same run: GETs while
 * joining p99 594 ms (769 before), max 1.006 s, 1 of 5 550 over 1 s. */
export const CLUSTER_VIEW_DEFAULTS = { freshWaitMs: 400, maxAgeMs: 30_000, maxEntries: 256 } as const;

/** A view and, when it was remembered rather than just queried, how old it is. */
export interface ClusterViewAnswer {
  view: ClusterView;
  ageMs: number;
}

export interface ClusterViews {
  /** The live view, or null when the cluster does not run (never created, or finished). */
  read(name: string): Promise<ClusterViewAnswer | null>;
  /** The view the cluster answered to a change made through this API (an update's result). */
  remember(view: ClusterView): void;
  forget(name: string): void;
}

export function createClusterViews(client: Client, opts: ClusterViewsOptions = {}): ClusterViews {
  const { freshWaitMs, maxAgeMs, maxEntries } = { ...CLUSTER_VIEW_DEFAULTS, ...opts };
  const now = opts.now ?? Date.now;
  // Same connection and data converter; only closed runs refuse the query instead of answering it.
  const openOnly = new WorkflowClient({
    connection: client.connection,
    namespace: client.options.namespace,
    dataConverter: client.options.dataConverter,
    queryRejectCondition: 'NOT_OPEN',
  });
  const known = new Map<string, { view: ClusterView; at: number }>();
  const inFlight = new Map<string, Promise<ClusterView | null>>();

  const remember = (view: ClusterView, at = now()) => {
    known.delete(view.name); // re-inserted last: the map's order is the eviction order
    known.set(view.name, { view, at });
    if (known.size > maxEntries) known.delete(known.keys().next().value!);
  };

  const query = (name: string): Promise<ClusterView | null> => {
    let running = inFlight.get(name);
    if (running) return running;
    const startedAt = now();
    const handle = openOnly.getHandle(clusterWorkflowId(name));
    running = hedged(() => handle.query(clusterStatusQuery), QUERY_HEDGE)
      .then(
        (view) => {
          // A change answered meanwhile is newer than what this query saw when it was sent.
          if ((known.get(name)?.at ?? 0) <= startedAt) remember(view, startedAt);
          return view;
        },
        (err: unknown) => {
          if (err instanceof QueryRejectedError) {
            known.delete(name);
            return null;
          }
          if (err instanceof WorkflowNotFoundError) known.delete(name);
          throw err;
        },
      )
      .finally(() => inFlight.delete(name));
    inFlight.set(name, running);
    return running;
  };

  return {
    async read(name) {
      const fresh = query(name);
      const last = known.get(name);
      if (!last || now() - last.at > maxAgeMs) {
        const view = await fresh;
        return view && { view, ageMs: 0 };
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), freshWaitMs);
      });
      try {
        const first = await Promise.race([fresh, late]);
        if (first !== 'late') return first && { view: first, ageMs: 0 };
      } catch (err) {
        // A query that failed outright (deadline, server busy) while a recent view is at hand: that view is
        // the better answer (bench:api --big 1000 had 4 such 503s in 5 390 GETs while its hosts joined).
        // "Gone" failures are answers: known was cleared for them, and the GET says so.
        if (!known.has(name)) throw err;
      } finally {
        clearTimeout(timer);
      }
      fresh.catch(() => undefined); // answered from memory: the query's own failure is not this GET's
      const current = known.get(name) ?? last;
      return { view: current.view, ageMs: Math.max(0, now() - current.at) };
    },
    remember: (view) => remember(view),
    forget: (name) => {
      known.delete(name);
    },
  };
}
