// The only code that runs ip, bridge, ethtool, arping, ping, ss and sysctl (STYLE 2.5, 2.6), and that knocks
// at a host's TCP port to see it answer (knock.ts).
export * from './addr.js';
export * from './addr-lifetime.js';
export * from './arp-dad.js';
export * from './ethtool.js';
export * from './fdb.js';
export * from './knock.js';
export * from './ip-batch.js';
export * from './link.js';
export * from './monitor.js';
export * from './neigh.js';
export * from './netns.js';
export * from './ns.js';
export * from './probe.js';
export * from './ping-many.js';
export * from './runner.js';
export * from './sysctl.js';
