// ethtool: driver name and offload switches (VMXNET3 needs tunnel segmentation offloads off for VxLAN).
import { iface } from './check.js';
import { inNetns } from './ns.js';
import type { Runner } from './runner.js';

/** ethtool -i NAME → the `driver:` line (null when ethtool cannot tell) */
export async function ethtoolDriver(r: Runner, dev: string, netns?: string): Promise<string | null> {
  const [file, args] = inNetns(netns, 'ethtool', ['-i', iface(dev)]);
  const res = await r.run(file, args, { reject: false });
  if (res.exitCode !== 0) return null;
  const m = /^driver:\s*(\S+)/m.exec(res.stdout);
  return m?.[1] ?? null;
}

const featureRe = /^[a-z0-9-]+$/;

/** ethtool -K NAME FEATURE off ... */
export async function ethtoolFeaturesOff(r: Runner, dev: string, features: string[], netns?: string) {
  const args = ['-K', iface(dev)];
  for (const f of features) {
    if (!featureRe.test(f)) throw new Error(`bad ethtool feature name: ${f}`);
    args.push(f, 'off');
  }
  const [file, argv] = inNetns(netns, 'ethtool', args);
  await r.run(file, argv);
}
