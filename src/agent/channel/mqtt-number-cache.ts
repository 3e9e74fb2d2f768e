// MQTT.js's packet writer (mqtt-packet) by default pre-builds a 2-byte Buffer for every number 0..65535
// the first time it writes a packet: 65 536 Buffer objects and the table holding them, ~7 MB of V8 heap
// that never goes away (the largest single item in a heap snapshot of the idle agent). An agent writes a
// handful of packets a minute, so it builds each number when it writes it instead: exactly what MQTT.js's
// own `writeCache: false` client option does (it sets this same switch). That option is not reachable
// through the shared connect helper (src/clients/broker/connect.ts), so the agent sets the switch on the
// very mqtt-packet instance MQTT.js loads (resolved from MQTT.js's own location), before it connects.
import { createRequire } from 'node:module';

interface PacketWriter {
  writeToStream: { cacheNumbers: boolean };
}

let done = false;

export function disableMqttNumberCache(): void {
  if (done) return;
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  (fromMqtt('mqtt-packet') as PacketWriter).writeToStream.cacheNumbers = false;
  done = true;
}
