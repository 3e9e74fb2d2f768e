// createHostActivities: the HostActivities contract over injected dependencies (runner, log, netns).
// Options are validated before anything runs; every input is zod-checked; every activity is idempotent.
import type { HostActivities } from './contract.js';
import { activity, checkHostOptions, type HostActivityOptions, parseInput } from './deps.js';
import { applyOverlay, teardown } from './overlay.js';
import { setPeers } from './peers.js';
import { peerTableDigest } from '../../domain/peer-digest.js';
import { preflight } from './preflight.js';
import { probePeers } from './probe.js';
import { reset } from './reset.js';
import {
  applyOverlayInputSchema,
  preflightInputSchema,
  probePeersInputSchema,
  resetInputSchema,
  setPeersInputSchema,
  teardownInputSchema,
  vipInputSchema,
} from './schemas.js';
import { assignVip, releaseVip } from './vip.js';

export type { HostActivityOptions, OverlayMemory } from './deps.js';
export { flushLearned } from './peers.js';
export { deviceMac } from './mac.js';

export function createHostActivities(opts: HostActivityOptions): HostActivities {
  const deps = checkHostOptions(opts);
  return {
    preflight: (input) =>
      activity(deps, 'preflight', () => preflight(deps, parseInput(preflightInputSchema, input, 'input'))),
    applyOverlay: (input) =>
      activity(deps, 'applyOverlay', () =>
        applyOverlay(deps, parseInput(applyOverlayInputSchema, input, 'input')),
      ),
    setPeers: (input) =>
      activity(deps, 'setPeers', async () => {
        const { spec, peers, probe } = parseInput(setPeersInputSchema, input, 'input');
        // The digest of the table as the workflow counts it (every other host): what this host has now.
        const others = peers.filter((p) => p.hostId !== deps.hostId);
        const result = { ...(await setPeers(deps, spec, peers)), digest: peerTableDigest(others) };
        const targets = others.map((p) => p.overlayIp);
        if (!probe || targets.length === 0) return result;
        return { ...result, probe: await probePeers(deps, { targets }) };
      }),
    assignVip: (input) =>
      activity(deps, 'assignVip', () => assignVip(deps, parseInput(vipInputSchema, input, 'input').spec)),
    releaseVip: (input) =>
      activity(deps, 'releaseVip', () => releaseVip(deps, parseInput(vipInputSchema, input, 'input').spec)),
    probePeers: (input) =>
      activity(deps, 'probePeers', () => probePeers(deps, parseInput(probePeersInputSchema, input, 'input'))),
    teardown: (input) =>
      activity(deps, 'teardown', () => teardown(deps, parseInput(teardownInputSchema, input, 'input').spec)),
    reset: (input) =>
      activity(deps, 'reset', () => reset(deps, parseInput(resetInputSchema, input, 'input'))),
  };
}
