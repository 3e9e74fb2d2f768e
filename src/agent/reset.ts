// `edge-overlay hosts reset HOST` on the host: the overlay the state file names is torn down through the
// whole activity chain first (site VIP released, beacon stopped, state cleared, as a removal would), then
// every overlay device left on the host is deleted whether any state knew of it or not (a failed join, a
// state file lost with the devices still up).
import type { Logger } from 'pino';
import type { HostActivities } from '../activities/host/contract.js';
import type { AgentState } from './state.js';

export function withReset(acts: HostActivities, state: () => AgentState, log: Logger): HostActivities {
  return {
    ...acts,
    async reset(input) {
      const stored = state().overlay;
      if (stored) {
        const cluster = stored.spec.clusterName;
        log.warn(
          { cluster, reason: input.reason },
          `host reset: tearing down the overlay of cluster ${cluster}`,
        );
        await acts.teardown({ spec: stored.spec });
      }
      const result = await acts.reset(input);
      return {
        ...result,
        changed: result.changed || stored !== null,
        ...(stored ? { cluster: stored.spec.clusterName } : {}),
      };
    },
  };
}
