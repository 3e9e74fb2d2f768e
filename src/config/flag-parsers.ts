// Flag parsers for commander that validate with zod and fail with a clear message. Shared by the CLI and
// the lean agent entry (which must not load the CLI's modules).
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';

export function zodParser<T>(schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  };
}
