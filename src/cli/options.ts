// Flag parsers for commander that validate with zod and fail with a clear message.
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { hostPortSchema, portSchema } from '../config/env.js';

export function zodParser<T>(schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  };
}

export const parsePort = zodParser(portSchema);
export const parseHostPort = zodParser(hostPortSchema);
