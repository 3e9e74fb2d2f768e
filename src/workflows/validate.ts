// zod at the update boundary: a rejected update never reaches history, and the caller gets a typed failure.
import { ApplicationFailure, log } from '@temporalio/workflow';
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

interface EventSink {
  record(type: 'MessageRejected', data: Record<string, unknown>): unknown;
}

/** For signals, which cannot fail their sender: the parsed value, or null after a MessageRejected event
 * (issues only, never the rejected value itself: it may be large or hostile). */
export function safeParseSignal<S extends z.ZodType>(
  sink: EventSink,
  signal: string,
  schema: S,
  value: unknown,
): z.infer<S> | null {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`.slice(0, 200));
  log.warn('signal rejected', { signal, issues });
  sink.record('MessageRejected', { signal, issues });
  return null;
}
