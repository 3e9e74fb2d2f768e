// Pure transitions of one host's registration record (the state of `host/<hostId>`).
import type { HostRecord } from './types.js';

export interface RegistrationInput {
  hostId: string;
  underlayIp: string;
  underlayIface?: string;
  labels?: Record<string, string>;
}

export interface RecordChange {
  record: HostRecord;
  /** The previous underlay address when it changed; null on first registration or no change. */
  previousUnderlayIp: string | null;
}

/** Idempotent: registering the same values again only moves lastSeen. */
export function applyRegistration(
  current: HostRecord | null,
  input: RegistrationInput,
  now: string,
): RecordChange {
  const record: HostRecord = {
    hostId: input.hostId,
    underlayIp: input.underlayIp,
    lastSeen: now,
    cluster: current?.cluster ?? null,
  };
  const iface = input.underlayIface ?? current?.underlayIface;
  if (iface !== undefined) record.underlayIface = iface;
  const labels = input.labels ?? current?.labels;
  if (labels !== undefined) record.labels = { ...labels };
  const changed = current !== null && current.underlayIp !== input.underlayIp;
  return { record, previousUnderlayIp: changed ? current.underlayIp : null };
}

/** A heartbeat moves lastSeen and, when it carries one, the underlay address. */
export function applyHeartbeat(
  current: HostRecord,
  underlayIp: string | undefined,
  now: string,
): RecordChange {
  const next: HostRecord = { ...current, lastSeen: now };
  if (underlayIp === undefined || underlayIp === current.underlayIp) {
    return { record: next, previousUnderlayIp: null };
  }
  next.underlayIp = underlayIp;
  return { record: next, previousUnderlayIp: current.underlayIp };
}
