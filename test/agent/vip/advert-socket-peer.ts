// One host's advert socket, run inside a test namespace (`ip netns exec NS node --import tsx this IFACE
// PORT`): stdin takes JSON commands, stdout reports JSON lines, so a test drives several hosts at once.
//   {"send":"<base64>"}            → {"sent":true|false}
//   {"flood":N,"send":"<base64>"}  → N sends back to back → {"flooded":N}
//   {"stats":true}                 → {"stats":{...}}
// Every datagram the socket passes on → {"got":"<base64>","address":"…","port":N}
import { createInterface } from 'node:readline';
import { openAdvertSocket } from '../../../src/agent/vip/advert-socket.js';

const [iface = 'eth0', port = '0'] = process.argv.slice(2);
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const socket = await openAdvertSocket({
  iface,
  port: Number(port),
  onDatagram: (packet, source) => out({ got: packet.toString('base64'), ...source }),
});
out({ ready: socket.port });
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { send?: string; flood?: number; stats?: boolean };
  if (cmd.stats) out({ stats: socket.stats() });
  else if (cmd.flood && cmd.send) {
    for (let i = 0; i < cmd.flood; i++) await socket.send(Buffer.from(cmd.send, 'base64'));
    out({ flooded: cmd.flood });
  } else if (cmd.send) out({ sent: await socket.send(Buffer.from(cmd.send, 'base64')) });
}
await socket.stop();
