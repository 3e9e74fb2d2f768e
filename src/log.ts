// pino everywhere: JSON by default, pretty in a TTY; the Temporal runtime logs go through it too.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

export type { Logger } from 'pino';
export { createLogger, type LogOptions } from './logger.js';

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
