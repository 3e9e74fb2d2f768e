// The host channel: the agent's MQTT session with the control plane (commands, results, underlay
// reports, status, membership, certificate renewal).
export { CommandDispatcher, type DispatcherStats } from './dispatcher.js';
export { ChannelErrorType, toHostError } from './host-error.js';
export {
  type ChannelStats,
  type HostChannel,
  type HostChannelOptions,
  startHostChannel,
} from './host-channel.js';
export type { ChannelIdentity, SessionTiming } from './session.js';
export { UNDERLAY_SEQ_FILE, UnderlayReporter } from './underlay-reporter.js';
