// Reachability and announcements: arping (gratuitous ARP for the VIP) and ss (sockets); pings are in ping-many.ts.
import { iface, ipv4 } from './check.js';
import { inNetns } from './ns.js';
import { CommandError, type Runner } from './runner.js';

export type ArpingVariant = 'habets' | 'iputils';
const variants = new WeakMap<Runner, Promise<ArpingVariant>>();

/** arping --help: Debian ships Thomas Habets' arping, many distros iputils'; their flags differ. */
export function arpingVariant(r: Runner, netns?: string): Promise<ArpingVariant> {
  let v = variants.get(r);
  if (!v) {
    const [file, args] = inNetns(netns, 'arping', ['--help']);
    v = r
      .run(file, args, { reject: false })
      .then((res): ArpingVariant => (/Habets/.test(res.stdout + res.stderr) ? 'habets' : 'iputils'));
    variants.set(r, v);
  }
  return v;
}

/**
 * Gratuitous ARP (sender IP = target IP = the address, so peers override their cache entry):
 * Habets: arping -q -U -S IP -i DEV -c 1 -w 0 IP; iputils: arping -q -U -c 1 -w 1 -I DEV IP.
 * Exit 1 only means "no reply", which is expected.
 */
export async function arpingUnsolicited(r: Runner, dev: string, ip: string, netns?: string): Promise<void> {
  const d = iface(dev);
  const a = ipv4(ip);
  const argv =
    (await arpingVariant(r, netns)) === 'habets'
      ? ['-q', '-U', '-S', a, '-i', d, '-c', '1', '-w', '0', a]
      : ['-q', '-U', '-c', '1', '-w', '1', '-I', d, a];
  const [file, args] = inNetns(netns, 'arping', argv);
  const res = await r.run(file, args, { reject: false });
  if (res.exitCode > 1) throw new CommandError([file, ...args], res.exitCode, res.stderr);
}

/** ss -H -u -a -n -p: is a USER process bound to this UDP port? (the kernel's own vxlan socket has no users) */
export async function udpPortHeldByProcess(r: Runner, port: number, netns?: string): Promise<boolean> {
  const [file, args] = inNetns(netns, 'ss', ['-H', '-u', '-a', '-n', '-p']);
  const { stdout } = await r.run(file, args);
  return stdout
    .split('\n')
    .some((line) => line.split(/\s+/)[3]?.endsWith(`:${port}`) === true && line.includes('users:'));
}

/**
 * ss -K -H -t src IP: aborts TCP sockets whose source address the host no longer has (needs
 * CONFIG_INET_DIAG_DESTROY). They are dead anyway; killing them makes gRPC reconnect at once instead
 * of after its keepalive timeout. Returns false when the kernel refused.
 */
export async function tcpSocketsKillFrom(r: Runner, ip: string, netns?: string): Promise<boolean> {
  const [file, args] = inNetns(netns, 'ss', ['-K', '-H', '-t', 'src', ipv4(ip)]);
  const res = await r.run(file, args, { reject: false });
  return res.exitCode === 0;
}
