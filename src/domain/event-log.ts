// The cluster's domain-event log, bounded by count and by bytes so that the events query and the
// continue-as-new payload stay small whatever the cluster size. Pure: workflow time is passed in.
import type { DomainEvent, DomainEventType } from './types.js';

/** Lists of host ids inside event data are cut to this many entries (plus a count of the rest). */
export const MAX_IDS_IN_EVENT = 32;

/** At most `max` ids; longer lists end with a "…and N more" entry so the size stays bounded. */
export function summarizeIds(ids: readonly string[], max = MAX_IDS_IN_EVENT): string[] {
  if (ids.length <= max) return [...ids];
  return [...ids.slice(0, max), `...and ${ids.length - max} more`];
}

/** Same for a hostId → message map. */
export function summarizeMap(map: Readonly<Record<string, string>>, max = MAX_IDS_IN_EVENT) {
  const keys = Object.keys(map).sort();
  const out: Record<string, string> = {};
  for (const k of keys.slice(0, max)) out[k] = map[k]!.slice(0, 500);
  if (keys.length > max) out['...'] = `and ${keys.length - max} more`;
  return out;
}

export interface EventLogLimits {
  maxEvents: number;
  maxEventBytes: number;
}

/** Appends an event and drops the oldest ones beyond the limits (the newest one is always kept). */
export function appendEvent(
  events: DomainEvent[],
  event: DomainEvent,
  limits: EventLogLimits,
): DomainEvent[] {
  const next = [...events, event];
  let bytes = next.reduce((n, e) => n + eventBytes(e), 0);
  let drop = Math.max(0, next.length - limits.maxEvents);
  for (let i = 0; i < drop; i++) bytes -= eventBytes(next[i]!);
  while (drop < next.length - 1 && bytes > limits.maxEventBytes) {
    bytes -= eventBytes(next[drop]!);
    drop++;
  }
  return drop > 0 ? next.slice(drop) : next;
}

const sizes = new WeakMap<DomainEvent, number>();
/** JSON size of one event in a list (plus its comma), computed once per event object. */
export function eventBytes(e: DomainEvent): number {
  let n = sizes.get(e);
  if (n === undefined) {
    n = JSON.stringify(e).length + 1;
    sizes.set(e, n);
  }
  return n;
}

export function makeEvent(
  seq: number,
  time: string,
  type: DomainEventType,
  data: Record<string, unknown>,
  hostId?: string,
): DomainEvent {
  const event: DomainEvent = { seq, time, type, data };
  if (hostId !== undefined) event.hostId = hostId;
  return event;
}
