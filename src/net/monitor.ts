// `ip monitor address` as an event source. iproute2 6.1 prints monitor events as text even with -j,
// so a line only means "something changed"; the caller re-reads the state with `ip -j addr show`.
import { nsFlag } from './ns.js';
import type { LineProcess, Runner } from './runner.js';

/** ip [-n NS] monitor address (long-running; onEvent per output line) */
export function addrMonitor(r: Runner, onEvent: (line: string) => void, netns?: string): LineProcess {
  return r.spawnLines('ip', [...nsFlag(netns), 'monitor', 'address'], onEvent);
}
