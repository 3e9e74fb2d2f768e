// The node flags the edge-host agent runs with live in ONE place: the `#!/usr/bin/env -S node …` line of
// bin/edge-overlay-agent.js (what an installed `edge-overlay-agent` and its systemd unit run). Anything
// that starts the agent as `node <flags> bin/edge-overlay-agent.js` itself (the lab, bench:agent) reads
// them from there, so what is measured and tested is what runs on a host. Why each flag: see that file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bin/edge-overlay-agent.js, from src/agent (tsx) or dist/agent (compiled) alike. */
export const AGENT_ENTRY = fileURLToPath(new URL('../../bin/edge-overlay-agent.js', import.meta.url));

/** The flags on the entry's #! line (throws if that line is not `#!/usr/bin/env -S node …`). */
export function agentNodeFlags(entryFile: string = AGENT_ENTRY): string[] {
  const first = readFileSync(entryFile, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  if (!m) throw new Error(`${entryFile}: first line is not '#!/usr/bin/env -S node …'`);
  return m[1]!.split(' ').filter(Boolean);
}
