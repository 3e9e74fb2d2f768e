// Fault schedules for the VIP election simulation. Each run: all agents start within 200 ms, a holder is
// elected (checked at 3 s), a fault hits at ~3 s, heals (or the agent restarts) later, and the world runs
// on for 3 s more. The checker watches every step; failover is measured from the fault to the first
// kernel add by another host.
import { windowsOf } from '../../../../src/agent/vip/policy.js';
import { Checker, failoverMs } from './sim-check.js';
import type { WorldOptions } from './sim-host.js';
import { World } from './sim-world.js';

export const FAULT_KINDS = [
  'isolate-holder',
  'split',
  'flap-all',
  'cut-pair',
  'one-way',
  'policy-change',
  'kill-holder',
  'kill-restart-fast',
  'reboot-holder',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RunResult {
  kind: FaultKind;
  n: number;
  seed: number;
  violations: string[];
  samples: number;
  /** Set when the fault took the holder's majority or its agent away. */
  failoverMs?: number;
}

export const SIM = { loss: 0.05, maxDelayMs: 50, faultAt: 3000, partitionMs: 4000, settleMs: 3000 };

export function runScenario(
  kind: FaultKind,
  n: number,
  seed: number,
  over: Partial<WorldOptions> = {},
): RunResult {
  const world = new World({ n, seed, loss: SIM.loss, maxDelayMs: SIM.maxDelayMs, ...over });
  const check = new Checker(world);
  const { rng } = world;
  for (let i = 0; i < n; i++) {
    const at = rng.int(0, 200);
    world.at(at, () => world.startAgent(i));
  }
  world.runUntil(SIM.faultAt, check.step);
  check.expectExactlyOne(world.now, 'initial election');
  const holder = world.holders()[0];
  const result: RunResult = { kind, n, seed, violations: check.violations, samples: 0 };
  if (holder === undefined) return { ...result, samples: check.samples };

  const tf = SIM.faultAt + rng.int(0, 99);
  world.runUntil(tf, check.step);
  const w = windowsOf(world.policy);
  // A cut-off holder's last counted vote runs out W_h after it sent the advert it echoes (before the
  // fault); it sees that at its next tick (T) and the ip addr del lands within the action delay.
  const releaseBound = w.holdMs + w.tickMs + SIM.maxDelayMs;
  let end: number;
  let lostMajority = false;
  let heal: number | undefined;
  switch (kind) {
    case 'isolate-holder':
    case 'split': {
      const minority =
        kind === 'isolate-holder'
          ? [holder]
          : splitWithHolder(n, holder, rng.chance(0.5), rng.shuffle.bind(rng));
      const majority = world.hosts.map((h) => h.index).filter((i) => !minority.includes(i));
      for (const a of minority) for (const b of majority) world.setPair(a, b, false);
      heal = tf + SIM.partitionMs;
      lostMajority = minority.includes(holder);
      check.expectNoHolderIn({ hosts: minority, from: tf + releaseBound + 1, until: heal });
      world.at(heal, () => world.healAll());
      end = heal + SIM.settleMs;
      break;
    }
    case 'cut-pair': {
      // Non-transitive: the holder and one other host lose each other but both still reach the rest.
      const other = rng.shuffle([...Array(n).keys()].filter((i) => i !== holder))[0]!;
      world.setPair(holder, other, false);
      heal = tf + SIM.partitionMs;
      world.at(heal, () => world.healAll());
      end = heal + SIM.settleMs;
      break;
    }
    case 'one-way': {
      // The holder can only send, or only receive. Cut from hearing, its votes run out as in isolation;
      // unheard, its voters keep backing it until it is not present (freshMs), then the leases run out.
      const deaf = rng.chance(0.5);
      for (let o = 0; o < n; o++)
        if (o !== holder) world.setLink(deaf ? o : holder, deaf ? holder : o, false);
      heal = tf + SIM.partitionMs;
      lostMajority = true;
      const bound = w.freshMs + w.holdMs + 2 * w.tickMs + SIM.maxDelayMs;
      check.expectNoHolderIn({ hosts: [holder], from: tf + (deaf ? releaseBound : bound) + 1, until: heal });
      world.at(heal, () => world.healAll());
      end = heal + SIM.settleMs;
      break;
    }
    case 'policy-change': {
      // New priorities (version 2) reach each host at its own time within 300 ms, as over the broker.
      const next = {
        ...world.policy,
        policyVersion: 2,
        eligible: world.policy.eligible.map((e) => ({ ...e, priority: rng.int(0, 2) })),
      };
      for (let i = 0; i < n; i++) world.at(tf + rng.int(0, 300), () => world.deliverPolicy(i, next));
      world.at(tf + 300, () => {
        world.policy = next;
      });
      // No 1 s bound here: votes count only between hosts of the same version, and a changed policy
      // starts a new hold-down, so the holder may lose its majority and the VIP move (checked at the end).
      end = tf + SIM.partitionMs;
      break;
    }
    case 'flap-all': {
      heal = tf + SIM.partitionMs;
      const healAt = heal;
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          if (a === b) continue;
          const toggle = (t: number) => {
            if (t >= healAt) return;
            world.setLink(a, b, !world.linkUp(a, b));
            world.at(t + 300, () => toggle(t + 300));
          };
          const first = tf + rng.int(0, 299);
          world.at(first, () => toggle(first));
        }
      world.at(heal, () => world.healAll());
      end = heal + SIM.settleMs;
      break;
    }
    case 'kill-holder':
    case 'kill-restart-fast':
    case 'reboot-holder': {
      lostMajority = true;
      const restartAt = tf + (kind === 'kill-restart-fast' ? rng.int(50, 600) : rng.int(1500, 3000));
      if (kind === 'reboot-holder') world.powerOff(holder);
      else world.killAgent(holder);
      world.at(restartAt, () => world.startAgent(holder));
      end = restartAt + SIM.settleMs;
      break;
    }
  }
  if (heal !== undefined) {
    world.runUntil(heal + 1000, check.step);
    check.expectExactlyOne(world.now, '1 s after healing');
  }
  world.runUntil(end, check.step);
  check.expectExactlyOne(world.now, 'end of run');
  const fo = lostMajority ? failoverMs(world, holder, tf, heal ?? end) : undefined;
  if (lostMajority && fo === undefined) check.fail(world.now, 'no failover');
  return { ...result, samples: check.samples, ...(fo !== undefined ? { failoverMs: fo } : {}) };
}

/** A 2|1 split of 3 or 3|2 of 5 (any n: the smaller side has floor((n-1)/2) hosts); the minority side is
 * returned, with the holder in it or not. */
function splitWithHolder(
  n: number,
  holder: number,
  holderInMinority: boolean,
  shuffle: <T>(x: readonly T[]) => T[],
): number[] {
  const size = Math.floor((n - 1) / 2);
  const others = shuffle([...Array(n).keys()].filter((i) => i !== holder));
  return holderInMinority ? [holder, ...others.slice(0, size - 1)] : others.slice(0, size);
}
