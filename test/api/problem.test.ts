// Pure mapping tables: domain failure types → HTTP statuses, zod issues → field errors.
import { ApplicationFailure } from '@temporalio/common';
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorType } from '../../src/domain/errors.js';
import { fieldPath, ProblemError, toProblem, zodIssuesToFieldErrors } from '../../src/api/problem.js';
import { applicationFailureProblem, temporalProblem } from '../../src/api/temporal-errors.js';

const failure = (type: string, details: unknown[] = []) =>
  ApplicationFailure.create({ type, message: `${type} happened`, nonRetryable: true, details });

describe('problem mapping', () => {
  it.each([
    [ErrorType.InvalidInput, 400],
    [ErrorType.InvalidOverlayConfig, 400],
    [ErrorType.HostNotRegistered, 400],
    [ErrorType.OverlayImmutable, 409],
    [ErrorType.HostAlreadyInCluster, 409],
    [ErrorType.ClusterDeleting, 409],
    [ErrorType.HostNotInCluster, 404],
  ])('maps ApplicationFailure %s to %i with the workflow message', (type, status) => {
    const p = applicationFailureProblem(failure(type));
    expect(p?.problem.status).toBe(status);
    expect(p?.problem.detail).toBe(`${type} happened`);
  });

  it('does not expose host command failures: they become a hidden 500', () => {
    expect(applicationFailureProblem(failure(ErrorType.HostCommandFailed))).toBeNull();
    expect(() =>
      temporalProblem(failure(ErrorType.HostCommandFailed), () => new ProblemError(404, 'x', 'y')),
    ).toThrow();
    const p = toProblem(new Error('secret /etc/path stack'), pino({ level: 'silent' }));
    expect(p).toMatchObject({ status: 500, detail: 'internal error; see the API log' });
    expect(JSON.stringify(p)).not.toContain('secret');
  });

  it('turns workflow validation details into field errors', () => {
    const p = applicationFailureProblem(
      failure(ErrorType.InvalidInput, [[{ path: 'hosts.0.hostId', message: 'bad' }]]),
    );
    expect(p?.problem.errors).toEqual([{ field: 'hosts.0.hostId', message: 'bad' }]);
  });

  it('maps a workflow whose task failed (gRPC FAILED_PRECONDITION on a query) to 503, not a 500', () => {
    const grpc = Object.assign(
      new Error('9 FAILED_PRECONDITION: Unable to query workflow due to Workflow Task in failed state.'),
      {
        code: 9,
        details: 'Unable to query workflow due to Workflow Task in failed state.',
      },
    );
    const err = new ServiceError('Failed to query Workflow', { cause: grpc });
    const p = temporalProblem(err, () => new ProblemError(404, 'x', 'y'));
    expect(p.problem.status).toBe(503);
    expect(p.problem.detail).toContain('its last task failed');
  });

  it('maps a missing workflow to the given not-found problem', () => {
    const notFound = new ProblemError(404, 'urn:x', 'gone');
    expect(temporalProblem(new WorkflowNotFoundError('nope', 'cluster/x', undefined), () => notFound)).toBe(
      notFound,
    );
  });

  it('writes JSON paths the way people read them', () => {
    expect(fieldPath(['hosts', 0, 'hostId'])).toBe('hosts[0].hostId');
    expect(fieldPath(['labels', 'a b'])).toBe('labels.a b');
    expect(fieldPath([])).toBe('');
    expect(
      zodIssuesToFieldErrors(
        [
          { instancePath: '/hosts/1', keyword: 'unrecognized_keys', params: { keys: ['x', 'y'] } },
          { instancePath: '/name', keyword: 'invalid_format', params: {}, message: 'bad name' },
          { instancePath: '/', keyword: 'invalid_type', params: {}, message: 'expected object' },
        ],
        'body',
      ),
    ).toEqual([
      { field: 'hosts[1].x', message: 'unknown field' },
      { field: 'hosts[1].y', message: 'unknown field' },
      { field: 'name', message: 'bad name' },
      { field: '(body)', message: 'expected object' },
    ]);
    expect(
      zodIssuesToFieldErrors(
        [{ instancePath: '/after', keyword: 'x', params: {}, message: 'm' }],
        'querystring',
      ),
    ).toEqual([{ field: 'query.after', message: 'm' }]);
  });
});
