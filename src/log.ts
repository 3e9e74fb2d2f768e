// pino everywhere: JSON by default, pretty in a TTY; the Temporal runtime logs go through it too.
import {
  DefaultLogger,
  Runtime,
  type LogEntry,
  type LogLevel,
  type Logger as SdkLogger,
} from '@temporalio/worker';
import type { Logger } from 'pino';
import { temporalMetricsTelemetry } from './metrics/temporal-telemetry.js';

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

/** Routes the SDK's and the core's logs to pino, and with `metricsBindAddress` (HOST:PORT) serves the
 * SDK's Prometheus metrics there. The Runtime is process-wide, so only the first call counts. */
export function installTemporalLogger(
  log: Logger,
  o: { metricsBindAddress?: string | undefined } = {},
): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLog = log.child({ component: 'temporal' });
  const level = (log.level === 'silent' ? 'ERROR' : log.level.toUpperCase()) as LogLevel;
  const minLevel: LogLevel = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level) ? level : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(minLevel, (entry: LogEntry) => {
      temporalLog[pinoLevel[entry.level]]({ ...entry.meta }, entry.message);
    }),
    ...(o.metricsBindAddress ? { telemetryOptions: temporalMetricsTelemetry(o.metricsBindAddress) } : {}),
  });
}

/** The workflow bundler's logger. webpack's module-by-module report comes at INFO (~40 lines before the
 * `dev` banner): it goes to debug, unless it carries a webpack warning, which is kept at warn. Errors stay. */
export function bundlerLogger(log: Logger): SdkLogger {
  const bundlerLog = log.child({ component: 'workflow-bundler' });
  return new DefaultLogger('TRACE', (entry: LogEntry) => {
    const quiet = entry.level === 'TRACE' || entry.level === 'DEBUG' || entry.level === 'INFO';
    const level = !quiet ? pinoLevel[entry.level] : /\bWARNING\b/.test(entry.message) ? 'warn' : 'debug';
    bundlerLog[level]({ ...entry.meta }, entry.message);
  });
}
