// pino: JSON by default, pretty in a TTY. No Temporal import here: the lean agent uses it too.
import { type Logger, pino } from 'pino';

export interface LogOptions {
  level?: string;
  format?: 'json' | 'pretty' | 'auto';
  name?: string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const pretty = opts.format === 'pretty' || (opts.format !== 'json' && process.stdout.isTTY === true);
  return pino({
    name: opts.name ?? 'edge-overlay',
    level: opts.level ?? 'info',
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
