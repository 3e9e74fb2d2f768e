// Watches the underlay interface's IPv4 address: `ip monitor address` events (debounced) plus a periodic
// re-check, so a change is seen within ~50 ms, and even if the monitor dies or misses an event.
// The periodic re-check is cheap when nothing changed: it compares the interface's addresses as
// getifaddrs reports them (os.networkInterfaces, no process) and runs `ip` only when they moved, or once
// a minute regardless. Spawning `ip` every 5 s was a third of the idle agent's CPU (bench:agent).
// The monitor listens to the underlay interface only (`ip monitor address dev IFACE`, iproute2 filters by
// ifindex) while that interface has an address: the site VIP holder renews its lease on the overlay
// bridge several times a second, and each renewal woke `ip monitor` and this process for a line the
// filter below then dropped. `dev` is resolved once, when the monitor starts: while the interface has no
// address (missing, or being re-created) the monitor listens to every device, and it starts afresh
// when the address changes and the interface is not the one it listens to (gone, or a new ifindex), so a
// re-created interface is followed from its new address on; a DHCP renumbering keeps the monitor.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { ifaceNameSchema } from '../domain/validation.js';
import { addrList, type LineProcess, nsFlag, type Runner } from '../net/index.js';

export interface UnderlayWatchOptions {
  runner: Runner;
  iface: string;
  netns?: string;
  log: Logger;
  recheckMs?: number;
  debounceMs?: number;
  /** Every raw `ip monitor address` event, before the debounce (the beacon re-reads its address). */
  onEvent?: () => void;
  /** `prefixLength`: the new address's, as the same read saw it (the report carries it; no second read). */
  onChange: (ip: string | null, previous: string | null, prefixLength?: number) => void;
}

/** An interface address as one read saw it. */
export interface UnderlayAddress {
  ip: string;
  prefixLength: number;
}

export interface UnderlayWatcher {
  current(): string | null;
  /** The current address with its prefix length, as the read that found it saw it; null without one. */
  currentAddress(): UnderlayAddress | null;
  /** Re-reads now (also used by tests). */
  check(): Promise<void>;
  stop(): Promise<void>;
}

/** The interface's (first non-host-scope) IPv4 address and its prefix length; null when it has none. */
export async function readUnderlayAddress(
  runner: Runner,
  iface: string,
  netns?: string,
): Promise<UnderlayAddress | null> {
  const addrs = await addrList(runner, iface, netns);
  const a = addrs.find((x) => x.scope !== 'host');
  return a ? { ip: a.ip, prefixLength: a.prefixLength } : null;
}

/**
 * Which `ip monitor address` lines are about `iface`. An event is a header line (`[Deleted ]N: IFNAME
 * inet …`) and indented continuation lines (lifetimes) that belong to the header before them. Events of
 * other devices are ignored: the site VIP's lease renewal on the overlay bridge (every 100-200 ms on the
 * holder) used to start an `ip` re-check each time, ~5 % of a core.
 */
export function monitorLineFilter(iface: string): (line: string) => boolean {
  let current = false;
  return (line) => {
    const header = /^(?:Deleted\s+)?\d+:\s+([^\s:@]+)/.exec(line);
    if (header) current = header[1] === iface;
    else if (!/^\s/.test(line)) current = true; // a form we do not know: look rather than miss a change
    return current;
  };
}

/** The interface's index as this process's namespace sees it (sysfs: `ip netns exec` mounts the
 * namespace's own); undefined when the interface is gone or sysfs cannot say. */
export function ifindexOf(name: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${ifaceNameSchema.parse(name)}/ifindex`, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** How long a replaced `ip monitor` keeps listening beside its successor (see restartMonitor). */
const MONITOR_OVERLAP_MS = 500;

/** Re-checks through `ip` at least every this many ticks, whatever getifaddrs says. */
const FULL_CHECK_EVERY = 12;

/** The interface's IPv4 addresses as this process's namespace sees them; '' when it has none. */
const ifaceFingerprint = (iface: string): string =>
  (networkInterfaces()[iface] ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.cidr)
    .join(',');

export async function watchUnderlay(o: UnderlayWatchOptions): Promise<UnderlayWatcher> {
  let address = await readUnderlayAddress(o.runner, o.iface, o.netns);
  const ipOf = (a: UnderlayAddress | null) => a?.ip ?? null;
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  let monitor: LineProcess | undefined;

  /** The ifindex the running monitor filters on (`dev`); undefined: every device, or not known here. */
  let monitorIfindex: number | undefined;
  /** Does the monitor have to start afresh after an address change? Only when the device it
   * listens to may be another one now (a re-created interface has a new ifindex) or none, or when it
   * listens to every device and can narrow to ours again. A DHCP renumbering keeps the device: its two
   * changes (loss, new lease) restarted `ip monitor` twice, each restart a spawn and an `ip` re-check, in
   * the moment every agent of the site is short of CPU. Another namespace (tests): always, as it cannot
   * be seen from here. */
  const monitorOutdated = (): boolean => {
    if (o.netns || monitorIfindex === undefined) return true; // unknown, or every device: narrow to ours
    return ifindexOf(o.iface) !== monitorIfindex; // gone, or re-created
  };

  const check = async () => {
    if (stopped) return;
    try {
      const read = await readUnderlayAddress(o.runner, o.iface, o.netns);
      const next = ipOf(read);
      if (next !== ipOf(address) && !stopped) {
        const previous = ipOf(address);
        address = read;
        o.log.info({ iface: o.iface, ip: next, previous }, 'underlay address changed');
        // The change first (the report it starts is what the beacon waits for), then the new monitor.
        o.onChange(next, previous, read?.prefixLength);
        if (monitorOutdated()) restartMonitor();
      }
    } catch (err) {
      o.log.warn({ err }, 'underlay address check failed');
    }
  };
  const startMonitor = () => {
    if (stopped) return;
    const aboutIface = monitorLineFilter(o.iface);
    const onEvent = (line: string) => {
      if (!aboutIface(line)) return;
      o.onEvent?.();
      clearTimeout(debounce);
      debounce = setTimeout(() => void check(), o.debounceMs ?? 50);
    };
    const args = [...nsFlag(o.netns), 'monitor', 'address', ...(address !== null ? ['dev', o.iface] : [])];
    monitorIfindex = address !== null && !o.netns ? ifindexOf(o.iface) : undefined;
    const m = o.runner.spawnLines('ip', args, onEvent);
    monitor = m;
    void m.done.then(() => {
      if (stopped || monitor !== m) return; // stopped, or replaced by restartMonitor
      o.log.warn('ip monitor exited; restarting in 1 s');
      setTimeout(() => {
        if (monitor === m) startMonitor();
      }, 1000).unref();
    });
  };
  /** Monitors replaced but still listening (see restartMonitor). */
  const retiring = new Set<LineProcess>();
  /** A new address (or none): the interface may be a new one, or gone; listen to the right device.
   * A new `ip monitor` subscribes some time after its start (hundreds of ms on a loaded host), and DHCP sets
   * the new address right after removing the old one: stopped at once, the old monitor left a gap in which
   * that address went unseen until the next re-check tick (the 20-host lab: agents saw their own new
   * address 2-5 s after the lease). So the old one listens on for MONITOR_OVERLAP_MS, and a check after it
   * stops covers a change neither monitor caught. */
  const restartMonitor = () => {
    const old = monitor;
    startMonitor();
    if (!old) return;
    retiring.add(old);
    setTimeout(() => {
      retiring.delete(old);
      void old.stop();
      void check();
    }, MONITOR_OVERLAP_MS).unref();
  };
  startMonitor();
  // With `netns` (tests) this process sees another namespace: getifaddrs says nothing, check every tick.
  let seen = o.netns ? '' : ifaceFingerprint(o.iface);
  let ticks = 0;
  const tick = () => {
    const now = o.netns ? '' : ifaceFingerprint(o.iface);
    ticks = (ticks + 1) % FULL_CHECK_EVERY;
    if (o.netns || now !== seen || ticks === 0) void check();
    seen = now;
  };
  const timer = setInterval(tick, o.recheckMs ?? 5000);
  timer.unref();

  return {
    current: () => ipOf(address),
    currentAddress: () => address,
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      await Promise.all([monitor?.stop(), ...[...retiring].map((m) => m.stop())]);
    },
  };
}
