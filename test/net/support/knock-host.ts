// Knocks and probes from inside a test namespace (`ip netns exec NS node --import tsx this MODE PORT
// TARGET…`), as an agent on an edge host does: its sockets live in that namespace. Prints one JSON line.
//   knock PORT TARGET…  → {"answered":[true|false, …],"ms":N}
//   probe PORT TARGET…  → {"result":ProbePeersResult,"commands":["ping …", …]}
//                         (probePeers as the agent runs it; `commands`: every process it started)
import { pino } from 'pino';
import { createHostActivities } from '../../../src/activities/host/index.js';
import { knockAll, processRunner } from '../../../src/net/index.js';
import { recordingRunner } from '../../helpers/netns-lab.js';

const [mode, port = '0', ...targets] = process.argv.slice(2);
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
if (mode === 'knock') {
  const t0 = performance.now();
  const answered = await knockAll(targets, Number(port), 300);
  out({ answered, ms: Math.round(performance.now() - t0) });
} else if (mode === 'probe') {
  const runner = recordingRunner(processRunner);
  const log = pino({ level: 'silent' });
  const a = createHostActivities({ hostId: 'h1', underlayIface: 'lo', runner, log });
  const result = await a.probePeers({ targets });
  out({ result, commands: runner.calls.map((c) => [c.file, ...c.args].join(' ')) });
} else throw new Error(`unknown mode ${mode}`);
