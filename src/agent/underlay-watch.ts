// Watches the underlay interface's IPv4 address: `ip monitor address` events (debounced) plus a periodic
// re-check, so a change is seen within ~50 ms, and even if the monitor dies.
import type { Logger } from 'pino';
import { addrList, addrMonitor, type LineProcess, type Runner } from '../net/index.js';

export interface UnderlayWatchOptions {
  runner: Runner;
  iface: string;
  netns?: string;
  log: Logger;
  recheckMs?: number;
  debounceMs?: number;
  onChange: (ip: string | null, previous: string | null) => void;
}

export interface UnderlayWatcher {
  current(): string | null;
  /** Re-reads now (also used by tests). */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export async function readUnderlayIp(runner: Runner, iface: string, netns?: string): Promise<string | null> {
  const addrs = await addrList(runner, iface, netns);
  return addrs.find((a) => a.scope !== 'host')?.ip ?? null;
}

export async function watchUnderlay(o: UnderlayWatchOptions): Promise<UnderlayWatcher> {
  let ip = await readUnderlayIp(o.runner, o.iface, o.netns);
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  let monitor: LineProcess | undefined;

  const check = async () => {
    if (stopped) return;
    try {
      const next = await readUnderlayIp(o.runner, o.iface, o.netns);
      if (next !== ip && !stopped) {
        const previous = ip;
        ip = next;
        o.log.info({ iface: o.iface, ip: next, previous }, 'underlay address changed');
        o.onChange(next, previous);
      }
    } catch (err) {
      o.log.warn({ err }, 'underlay address check failed');
    }
  };
  const onEvent = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), o.debounceMs ?? 50);
  };
  const startMonitor = () => {
    if (stopped) return;
    const m = addrMonitor(o.runner, onEvent, o.netns);
    monitor = m;
    void m.done.then(() => {
      if (stopped) return;
      o.log.warn('ip monitor exited; restarting in 1 s');
      setTimeout(startMonitor, 1000).unref();
    });
  };
  startMonitor();
  const timer = setInterval(() => void check(), o.recheckMs ?? 5000);
  timer.unref();

  return {
    current: () => ip,
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      await monitor?.stop();
    },
  };
}
