// MQTT.js's writer would pre-build 65 536 two-byte Buffers (~7 MB of heap, for good) on the first packet;
// the agent turns that off on the very mqtt-packet instance MQTT.js uses. Checked on that instance: after
// the switch, writing packets leaves its number table empty.
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { disableMqttNumberCache } from '../../../src/agent/channel/mqtt-number-cache.js';

interface MqttPacketModule {
  writeToStream: ((packet: object, stream: NodeJS.WritableStream, opts: object) => boolean) & {
    cacheNumbers: boolean;
  };
}

const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const packet = fromMqtt('mqtt-packet') as MqttPacketModule;
const numberTable = fromMqtt('mqtt-packet/numbers').cache as Record<number, Buffer>;

describe('disableMqttNumberCache', () => {
  it("switches MQTT.js's own packet writer to numbers built on demand; no table is built", async () => {
    disableMqttNumberCache();
    disableMqttNumberCache(); // idempotent
    expect(packet.writeToStream.cacheNumbers).toBe(false);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    packet.writeToStream(
      { cmd: 'publish', topic: 't', payload: 'x', qos: 1, messageId: 4242, retain: false, dup: false },
      out,
      { protocolVersion: 5 },
    );
    expect(Object.keys(numberTable)).toHaveLength(0);
    await new Promise((r) => setImmediate(r)); // the writer corks the stream until the next tick
    // the packet id is still written (0x1092 = 4242) after the topic
    expect(Buffer.concat(chunks).includes(Buffer.from([0x10, 0x92]))).toBe(true);
  });
});
