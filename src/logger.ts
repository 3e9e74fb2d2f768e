// pino: JSON by default, pretty in a TTY. No Temporal import here: the lean agent uses it too.
import { type DestinationStream, type Logger, pino } from 'pino';

export interface LogOptions {
  level?: string;
  format?: 'json' | 'pretty' | 'auto';
  name?: string;
  /** Where JSON lines go (tests); default stdout. Ignored when pretty. */
  destination?: DestinationStream;
}

/** An error under `err` or `error` (the Temporal SDK logs failures as `{ error }`) is written with its
 * message, type and stack; pino's defaults serialize only `err`, and an Error's own fields are not
 * enumerable, so `error` came out as `{}`. Error-like objects from the workflow sandbox count too. */
const serializers = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };

export function createLogger(opts: LogOptions = {}): Logger {
  const pretty = opts.format === 'pretty' || (opts.format !== 'json' && process.stdout.isTTY === true);
  const options = {
    name: opts.name ?? 'edge-overlay',
    level: opts.level ?? 'info',
    serializers,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
  return !pretty && opts.destination ? pino(options, opts.destination) : pino(options);
}
