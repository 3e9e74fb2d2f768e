// Flag parsers for commander that validate with zod and fail with a clear message.
import { hostPortSchema, portSchema } from '../config/env.js';
import { zodParser } from '../config/flag-parsers.js';

export { zodParser };

export const parsePort = zodParser(portSchema);
export const parseHostPort = zodParser(hostPortSchema);
