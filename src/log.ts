// pino everywhere: JSON by default, pretty in a TTY; the Temporal runtime logs go through it too.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

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

const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let runtimeInstalled = false;

/** Routes the SDK's and the core's logs to pino. The Runtime is process-wide, so only the first call counts. */
export function installTemporalLogger(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLog = log.child({ component: 'temporal' });
  const level = (log.level === 'silent' ? 'ERROR' : log.level.toUpperCase()) as LogLevel;
  const minLevel: LogLevel = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? level : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(minLevel, (entry: LogEntry) => {
      temporalLog[pinoLevel[entry.level]]({ ...entry.meta }, entry.message);
    }),
  });
}
