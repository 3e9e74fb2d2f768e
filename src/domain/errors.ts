// ApplicationFailure `type` strings: the only thing that crosses the sandbox and the API boundary
// reliably (STYLE 2.10). The API maps them to HTTP statuses; retry policies list the non-retryable ones.
export const ErrorType = {
  InvalidInput: 'InvalidInput',
  InvalidOverlayConfig: 'InvalidOverlayConfig',
  OverlayImmutable: 'OverlayImmutable',
  HostNotRegistered: 'HostNotRegistered',
  HostAlreadyInCluster: 'HostAlreadyInCluster',
  HostNotInCluster: 'HostNotInCluster',
  ClusterDeleting: 'ClusterDeleting',
  /** The host registry could not confirm the claims in time; nothing was created (retry). */
  AdmissionFailed: 'AdmissionFailed',
  /** A create under a running cluster's name with a different spec. */
  ClusterExists: 'ClusterExists',
  HostCommandFailed: 'HostCommandFailed',
  PreflightFailed: 'PreflightFailed',
  /** The host's agent did not carry out a command in time (not connected, or not answering). */
  HostAgentUnreachable: 'HostAgentUnreachable',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Failures that retrying cannot fix. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorType.InvalidInput,
  ErrorType.InvalidOverlayConfig,
  ErrorType.PreflightFailed,
];
