// A handler's failure as the control plane sees it: {type, message, nonRetryable}. The host activities
// throw ApplicationFailures whose `type` the workflows branch on (ErrorType); they are recognised by
// shape, not by class, so the channel never needs the Temporal SDK (and works with any error library).
import type { HostError } from '../../contract/host-channel.js';

const MAX_TYPE = 100;
const MAX_MESSAGE = 2000;

/** Agent-side failure types a command can end with before any handler runs. */
export const ChannelErrorType = {
  /** The command's deadline passed before it reached the host (see dispatcher.ts). */
  CommandExpired: 'CommandExpired',
} as const;

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function toHostError(err: unknown): HostError {
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as { type?: unknown; nonRetryable?: unknown; name?: unknown; message?: unknown };
    const type =
      typeof e.type === 'string' && e.type.length > 0
        ? e.type
        : typeof e.name === 'string'
          ? e.name
          : 'Error';
    return {
      type: clip(type || 'Error', MAX_TYPE),
      message: clip(typeof e.message === 'string' ? e.message : String(err), MAX_MESSAGE),
      nonRetryable: e.nonRetryable === true,
    };
  }
  return { type: 'Error', message: clip(String(err), MAX_MESSAGE), nonRetryable: false };
}
