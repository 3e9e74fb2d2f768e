// The error a host command fails with, on the host: a domain type (ErrorType or the like), a message and
// whether a retry can help. Plain (no Temporal SDK: the v2 agent does not load it); the agent sends
// {type, message, nonRetryable} back over the broker and the control worker turns it into the
// ApplicationFailure the workflow sees (src/control).
export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly type: string,
    message: string,
    readonly nonRetryable = false,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

/** A non-retryable HostError (bad input, a host that can never do it). */
export const permanentHostError = (type: string, message: string, details: unknown[] = []): HostError =>
  new HostError(type, message, true, details);
