// The control worker's own metrics: each host command from its publish to its end (the agent's result
// completing the activity, a late result, or no result before the deadline), the broker session.
import { CompleteAsyncError } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Registry } from './registry.js';
import { wrapFunctions } from './wrap.js';

/** Publish failures worth telling apart (ApplicationFailure type → outcome); anything else is `failed`,
 * so the label keeps a bounded set of values. */
const PUBLISH_FAILURES = new Map([
  ['BrokerUnavailable', 'broker_unavailable'],
  ['HostNotConnected', 'host_not_connected'],
  ['InvalidInput', 'invalid_input'],
]);

const ROUND_TRIP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ControlMetricSources {
  brokerConnected(): boolean;
  /** Commands published and still waiting for their host's result. */
  pendingCommands(): number;
}

export function createControlMetrics(registry = new Registry()) {
  const publishes = registry.counter(
    'edge_overlay_control_command_publishes_total',
    'Host commands handed to the broker (published) or refused before reaching it, by kind and outcome',
    ['kind', 'outcome'],
  );
  const results = registry.counter(
    'edge_overlay_control_command_results_total',
    'How published host commands ended: ok, error (the host failed it), late (nobody waited), expired (no result)',
    ['kind', 'outcome'],
  );
  const roundTrip = registry.histogram(
    'edge_overlay_control_command_round_trip_seconds',
    'From publishing a host command to its activity completed with the host result',
    ['kind'],
    ROUND_TRIP_BUCKETS,
  );
  const connected = registry.gauge(
    'edge_overlay_control_broker_connected',
    "1 while the control worker's MQTT session to the broker is up, else 0",
  );
  const pending = registry.gauge(
    'edge_overlay_control_commands_pending',
    'Host commands published and waiting for their result',
  );

  return {
    registry,
    /** Counts each relay activity's publish: CompleteAsyncError means handed to the broker. */
    countPublishes<A extends object>(activities: A): A {
      return wrapFunctions(activities, (kind, call) => async (...args) => {
        try {
          return await call(...args);
        } catch (err) {
          const type = err instanceof ApplicationFailure ? (err.type ?? '') : '';
          const outcome =
            err instanceof CompleteAsyncError ? 'published' : (PUBLISH_FAILURES.get(type) ?? 'failed');
          publishes.inc({ kind, outcome });
          throw err;
        }
      });
    },
    onCommandOutcome(command: { kind: string }, outcome: 'ok' | 'error' | 'late' | 'expired'): void {
      results.inc({ kind: command.kind, outcome });
    },
    onRoundTrip(ms: number, command: { kind: string }): void {
      roundTrip.observe(ms / 1000, { kind: command.kind });
    },
    attach(s: ControlMetricSources): void {
      registry.onCollect(() => {
        connected.set(s.brokerConnected() ? 1 : 0);
        pending.set(s.pendingCommands());
      });
    },
  };
}

export type ControlMetrics = ReturnType<typeof createControlMetrics>;
