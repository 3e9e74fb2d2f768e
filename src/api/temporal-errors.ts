// Temporal failures → problem+json. Workflows fail callers with ApplicationFailure `type` strings
// (src/domain/errors.ts); branch on those, never on messages or instanceof across the sandbox.
import {
  isGrpcServiceError,
  QueryNotRegisteredError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../domain/errors.js';
import { type FieldError, ProblemError, ProblemType } from './problem.js';

/** HTTP status and problem type for each domain failure a caller can cause. */
const DOMAIN_STATUS: Record<string, { status: number; type: string }> = {
  [ErrorType.InvalidInput]: { status: 400, type: ProblemType.ValidationFailed },
  [ErrorType.InvalidOverlayConfig]: { status: 400, type: ProblemType.InvalidOverlayConfig },
  // The request names a host the registry does not know: the body is wrong, not the URL.
  [ErrorType.HostNotRegistered]: { status: 400, type: ProblemType.HostNotRegistered },
  [ErrorType.OverlayImmutable]: { status: 409, type: ProblemType.OverlayImmutable },
  [ErrorType.HostAlreadyInCluster]: { status: 409, type: ProblemType.HostAlreadyInCluster },
  [ErrorType.ClusterDeleting]: { status: 409, type: ProblemType.ClusterDeleting },
  [ErrorType.ClusterExists]: { status: 409, type: ProblemType.ClusterExists },
  [ErrorType.AdmissionFailed]: { status: 503, type: ProblemType.Unavailable },
  [ErrorType.HostNotInCluster]: { status: 404, type: ProblemType.HostNotInCluster },
  [ErrorType.HostAgentUnreachable]: { status: 503, type: ProblemType.HostAgentUnreachable },
};

/** ApplicationFailure details[0] may be `[{path, message}]` (src/workflows/validate.ts). */
function detailFieldErrors(failure: ApplicationFailure): FieldError[] | undefined {
  const first = failure.details?.[0];
  if (!Array.isArray(first)) return undefined;
  const errors = first
    .filter((i): i is { path: unknown; message: unknown } => typeof i === 'object' && i !== null)
    .map((i) => ({ field: String(i.path ?? ''), message: String(i.message ?? 'invalid') }));
  return errors.length ? errors : undefined;
}

export function applicationFailureProblem(failure: ApplicationFailure): ProblemError | null {
  const mapped = failure.type ? DOMAIN_STATUS[failure.type] : undefined;
  if (!mapped) return null;
  // Field errors are the contract for 400s; a 409 on named fields (OverlayImmutable) carries them too.
  const errors = detailFieldErrors(failure);
  return new ProblemError(mapped.status, mapped.type, failure.message, errors);
}

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;

const grpcCode = (err: unknown): number | undefined => {
  if (isGrpcServiceError(err)) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

/** Temporal or the control worker did not answer before the API's deadline: the call may still take
 * effect after the answer (a create, above all: see createPending). */
export class NoAnswerInTimeProblem extends ProblemError {
  constructor() {
    super(
      503,
      ProblemType.Unavailable,
      'Temporal or the control worker did not answer in time (is the worker running?); retry',
    );
  }
}

const unavailable = () => new NoAnswerInTimeProblem();

/**
 * Turns what a Temporal call threw into a ProblemError; `notFound` is the problem to give when the
 * workflow does not exist. Anything unrecognised is rethrown and becomes a hidden 500.
 */
export function temporalProblem(err: unknown, notFound: () => ProblemError): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof WorkflowNotFoundError) return notFound();
  const failure =
    err instanceof ApplicationFailure
      ? err
      : err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure
        ? err.cause
        : null;
  if (failure) {
    const problem = applicationFailureProblem(failure);
    if (problem) return problem;
  }
  // No worker picked the query/update up before the deadline, or Temporal itself is unreachable.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return unavailable();
  if (err instanceof QueryNotRegisteredError) {
    return new ProblemError(503, ProblemType.Unavailable, 'the control worker does not serve this query yet');
  }
  const code = grpcCode(err instanceof ServiceError ? err.cause : err);
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || code === GRPC_CANCELLED)
    return unavailable();
  // The workflow exists but cannot answer now; above all "Workflow Task in failed state": its last task
  // failed and the worker retries it. A retry may succeed, and the caller can do nothing else: 503, not a
  // 500 with a stack trace in the log for every poll (1.5 GB of log in 10 min in bench:api).
  if (code === GRPC_FAILED_PRECONDITION) {
    return new ProblemError(
      503,
      ProblemType.Unavailable,
      "the workflow cannot answer now (its last task failed and is being retried; the control worker's log says why); retry",
    );
  }
  throw err;
}
