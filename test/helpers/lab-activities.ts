// The host activities of every host of a test lab (each in its own namespace, real `ip`/`bridge`).
import type { Logger } from 'pino';
import type { HostActivities } from '../../src/activities/host/contract.js';
import { createHostActivities } from '../../src/activities/host/index.js';
import { processRunner } from '../../src/net/index.js';
import type { Lab } from './netns-lab.js';

export const labHostActivities = (lab: Lab, log: Logger): HostActivities[] =>
  lab.hosts.map((h) =>
    createHostActivities({ hostId: h.name, underlayIface: h.iface, netns: h.ns, runner: processRunner, log }),
  );
