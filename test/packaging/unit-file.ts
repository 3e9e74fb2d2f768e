// A systemd unit file read as systemd reads it (systemd.syntax(7)): [Section] headers, Key=Value lines,
// `#`/`;` comments, a trailing backslash continues the line, a key may repeat (all values kept in order).
export type UnitFile = Record<string, Record<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = {};
  let section: Record<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]!] ?? {};
      unit[header[1]!] = section;
      return;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not a section header or Key=Value: ${line}`);
    const values = section[kv[1]!] ?? [];
    values.push(kv[2]!.trim());
    section[kv[1]!] = values;
  });
  return unit;
}

/** The one value of Section.Key (throws if absent or given twice: a unit where the last one silently wins). */
export function one(unit: UnitFile, section: string, key: string): string {
  const v = unit[section]?.[key];
  if (v?.length !== 1) throw new Error(`[${section}] ${key}: expected once, found ${v?.length ?? 0}`);
  return v[0]!;
}

/** Environment variable names an ExecStart= line references (`${NAME}` and `$NAME`). */
export function referencedVariables(commandLine: string): string[] {
  return [...commandLine.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map((m) => m[1]!);
}

/** KEY=value lines of an EnvironmentFile (comments and blanks skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const kv = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!kv) throw new Error(`not KEY=value: ${line}`);
    out[kv[1]!] = kv[2]!;
  }
  return out;
}
