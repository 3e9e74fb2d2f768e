// The identity routes need the product CA; an API started without one says so instead of half-working.
import type { ApiContext, EnrollmentPki } from './context.js';
import { ProblemError, ProblemType } from './problem.js';

export function requirePki(ctx: ApiContext): EnrollmentPki {
  if (ctx.pki) return ctx.pki;
  throw new ProblemError(
    503,
    ProblemType.EnrollmentNotConfigured,
    'enrollment not configured: this API was started without the product CA and broker',
  );
}
