// esbuild plugins for the agent bundle: modules that find a package at RUN time (createRequire(…).resolve)
// work from a repository with node_modules and fail in the bundle, where nothing is resolved at run time
// ("Cannot find module 'mqtt'", seen by test/e2e/agent-bundle.test.ts). Each one is swapped, in the bundle
// only, for an equivalent that imports the same package at BUILD time; the source stays as it is.
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from '../src/dev/paths.js';

const MQTT_NUMBER_CACHE = join(repoRoot, 'src/agent/channel/mqtt-number-cache.ts');

/** src/agent/channel/mqtt-number-cache.ts sets `cacheNumbers = false` on the mqtt-packet that MQTT.js
 * loads, found from MQTT.js's location at run time. Here mqtt-packet is resolved from MQTT.js's folder at
 * build time, so the bundle holds one mqtt-packet, the one MQTT.js uses, and the switch reaches it. */
export const mqttNumberCacheForBundle: Plugin = {
  name: 'edge-overlay-mqtt-number-cache',
  setup(b) {
    b.onLoad({ filter: /[\\/]mqtt-number-cache\.ts$/ }, (args) => {
      if (args.path !== MQTT_NUMBER_CACHE) return undefined;
      // The stand-in below copies what the source does; if the source changes, the copy must be reviewed.
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(".resolve('mqtt')") || !source.includes('.cacheNumbers = false'))
        throw new Error(`${args.path} changed: update its bundle stand-in in scripts/build-agent-plugins.ts`);
      return {
        loader: 'js',
        resolveDir: dirname(createRequire(import.meta.url).resolve('mqtt')),
        contents: `import packet from 'mqtt-packet';
let done = false;
export function disableMqttNumberCache() {
  if (done) return;
  packet.writeToStream.cacheNumbers = false;
  done = true;
}
`,
      };
    });
  },
};
