// zod at the update boundary: a rejected update never reaches history, and the caller gets a typed failure.
import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { ErrorType } from '../domain/errors.js';

export function parseOrFail<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw ApplicationFailure.create({
    type: ErrorType.InvalidInput,
    message: `invalid input: ${summary}`,
    nonRetryable: true,
    details: [issues],
  });
}

export function fail(type: string, message: string, details?: unknown): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : [] });
}
