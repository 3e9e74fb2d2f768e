// The agent's own metrics (served only with --metrics-port). Recorded where they happen: reconvergence
// and command outcomes; read at scrape time from what the agent keeps anyway: peers programmed, broker
// connection, beacon and dropped-command counts (nothing on the hot paths between scrapes).
import { Registry } from './registry.js';
import { ReconvergenceTracker } from './reconvergence.js';
import { wrapFunctions } from './wrap.js';

/** Reconvergence takes from a few ms (a beacon on the same L2) to tens of seconds (DHCP, control plane). */
const RECONVERGENCE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

/** What the histogram measures, exactly: it starts when THIS agent learns the new address, not at the
 * peer's underlay change (its DHCP lease, beacon or report, and the table push come before and are not in
 * it: `npm run bench:recovery` times the whole outage). */
export const RECONVERGENCE_HELP =
  "Seconds from this agent learning a peer's new underlay address (its beacon, or a pushed peer table) " +
  'to the FDB/peer entry for it being programmed; excludes the time from the underlay change to learning it';

export interface BeaconTotals {
  sent: number;
  accepted: number;
  rejected: Partial<Record<string, number>>;
}

/** What the agent reads at scrape time. */
export interface AgentMetricSources {
  peersProgrammed(): number;
  brokerConnected(): boolean;
  brokerConnects(): number;
  /** Counts since the agent started (across every beacon it ran). */
  beacons(): BeaconTotals;
  /** Commands the channel did not run: duplicates, past their deadline, malformed. */
  commandsDropped(): { duplicate: number; expired: number; malformed: number };
}

export function createAgentMetrics(hostId: string, registry = new Registry()) {
  const reconvergence = registry.histogram(
    'edge_overlay_agent_reconvergence_seconds',
    RECONVERGENCE_HELP,
    ['source'],
    RECONVERGENCE_BUCKETS,
  );
  const commands = registry.counter(
    'edge_overlay_agent_commands_total',
    'Commands from the control plane run by this agent, by kind and outcome (ok, error)',
    ['kind', 'outcome'],
  );
  const dropped = registry.counter(
    'edge_overlay_agent_commands_dropped_total',
    'Commands not run: duplicate (answered again), expired (past their deadline), malformed',
    ['reason'],
  );
  const peers = registry.gauge('edge_overlay_agent_peers_programmed', 'Peers in the applied peer table');
  const connected = registry.gauge(
    'edge_overlay_agent_broker_connected',
    '1 while the MQTT session to the broker is up and subscribed, else 0',
  );
  const connects = registry.counter('edge_overlay_agent_broker_connects_total', 'MQTT (re)connections');
  const sent = registry.counter('edge_overlay_agent_beacons_sent_total', 'Underlay beacons sent');
  const accepted = registry.counter(
    'edge_overlay_agent_beacons_accepted_total',
    'Peer beacons accepted (signature, cluster and replay checks passed)',
  );
  const rejected = registry.counter(
    'edge_overlay_agent_beacons_rejected_total',
    'Peer beacons refused, by reason (bad-signature, replay, unknown-host, rate-limited, ...)',
    ['reason'],
  );
  const tracker = new ReconvergenceTracker(hostId, (seconds, source) =>
    reconvergence.observe(seconds, { source }),
  );

  return {
    registry,
    tracker,
    /** Counts each handler's outcome by kind (wraps the handlers the channel dispatches to). */
    countCommands<H extends object>(handlers: H): H {
      return wrapFunctions(handlers, (kind, call) => async (...args) => {
        try {
          const out = await call(...args);
          commands.inc({ kind, outcome: 'ok' });
          return out;
        } catch (err) {
          commands.inc({ kind, outcome: 'error' });
          throw err;
        }
      });
    },
    /** Reads the agent's state at every scrape. */
    attach(s: AgentMetricSources): void {
      registry.onCollect(() => {
        peers.set(s.peersProgrammed());
        connected.set(s.brokerConnected() ? 1 : 0);
        connects.setTotal(s.brokerConnects());
        const b = s.beacons();
        sent.setTotal(b.sent);
        accepted.setTotal(b.accepted);
        for (const [reason, n] of Object.entries(b.rejected)) rejected.setTotal(n ?? 0, { reason });
        for (const [reason, n] of Object.entries(s.commandsDropped())) dropped.setTotal(n, { reason });
      });
    },
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
