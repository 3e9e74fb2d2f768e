// Durations on the command line: `90s`, `5m`, `1h`, `500ms` (a bare number is seconds). Parsed to
// milliseconds; help shows a default in the same unit as the examples, never as raw milliseconds.
import { InvalidArgumentError, Option } from 'commander';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A number with ms/s/m/h, or a bare number of seconds: "90s", "5m", "90". Returns milliseconds. */
export function durationParser(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`'${value}' is not a duration (e.g. 90s, 5m, 1h)`);
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS];
  if (ms <= 0) throw new InvalidArgumentError('duration must be positive');
  return ms;
}

/** `--flag <duration>` with its default given as text ("5m"), parsed like user input. */
export function durationOption(flags: string, description: string, defaultText: string): Option {
  return new Option(flags, `${description} (e.g. 90s, 5m)`)
    .argParser(durationParser)
    .default(durationParser(defaultText), defaultText);
}
