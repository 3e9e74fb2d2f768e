// The simulated agent's two timers (sim-world.ts), as the glue arms them: the tick timer
// (elector-loop.ts armTick: moved at every evaluation) and the periodic advert (elector.ts armAdvert:
// moved by every send). A timer is re-armed by scheduling a new event; an earlier arming's event is void,
// as a cleared timeout.
import type { Election } from '../../../../src/agent/vip/election.js';
import { nextTickAt } from '../../../../src/agent/vip/advert-cadence.js';
import { type VipPolicy, windowsOf } from '../../../../src/agent/vip/policy.js';
import type { SimHost } from './sim-host.js';

export interface GlueWorld {
  readonly now: number;
  readonly policy: VipPolicy;
  at(t: number, run: () => void): void;
  alive(h: SimHost, run: number): Election | undefined;
  tick(h: SimHost, run: number): void;
  send(h: SimHost): void;
}

export function armTimer(w: GlueWorld, h: SimHost, at: number): void {
  const g = h.glue;
  if (g.timerArm > 0 && Math.abs(at - g.timerDue) < 1) return; // as good as armed already
  const arm = ++g.timerArm;
  const run = h.run;
  g.timerDue = at;
  w.at(Math.max(w.now, at), () => {
    const e = w.alive(h, run);
    if (!e || g.timerArm !== arm) return;
    // the next one, should this tick wait for actions or not evaluate
    armTimer(w, h, nextTickAt(w.now, e.follows(w.now), windowsOf(w.policy)));
    w.tick(h, run);
  });
}

export function armAdvert(w: GlueWorld, h: SimHost, at: number): void {
  const g = h.glue;
  const arm = ++g.advertArm;
  const run = h.run;
  g.advertDue = at;
  w.at(Math.max(w.now, at), () => {
    if (w.alive(h, run) && g.advertArm === arm) w.send(h);
  });
}
