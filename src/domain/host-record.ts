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
  // Everything else the record holds (v2: report sequence, online, public key, serial) stays as it is.
  const record: HostRecord = {
    ...(current ?? {}),
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

export interface UnderlayReport {
  seq: number;
  underlayIp: string | null;
  underlayIface: string;
  prefixLength?: number;
  brokerAddress?: string;
  labels?: Record<string, string>;
}

export interface ReportChange extends RecordChange {
  /** False when the report was not newer than the last applied one (reordered, duplicated, delayed). */
  applied: boolean;
}

/**
 * v2: the agent's own underlay report. Applied only when its sequence is newer than the last applied
 * one, so reports that arrive reordered, duplicated or late change nothing. A report without an address
 * (the host lost its lease) moves the sequence and lastSeen but keeps the last known address: peers keep
 * trying it until the host reports a new one. A host never registered can be registered by its own first
 * report (it holds a certificate, so an admin issued it a join token).
 */
export function applyUnderlayReport(
  current: HostRecord | null,
  hostId: string,
  report: UnderlayReport,
  now: string,
): ReportChange {
  const unchanged = (record: HostRecord | null): ReportChange => ({
    record: record as HostRecord,
    previousUnderlayIp: null,
    applied: false,
  });
  if (current?.underlaySeq !== undefined && report.seq <= current.underlaySeq) return unchanged(current);
  const underlayIp = report.underlayIp ?? current?.underlayIp;
  if (underlayIp === undefined) return unchanged(current);
  const record: HostRecord = {
    ...(current ?? { cluster: null }),
    hostId,
    underlayIp,
    underlayIface: report.underlayIface,
    underlaySeq: report.seq,
    lastSeen: now,
  };
  if (report.prefixLength !== undefined) record.prefixLength = report.prefixLength;
  if (report.brokerAddress !== undefined) record.brokerAddress = report.brokerAddress;
  if (report.labels !== undefined) record.labels = { ...report.labels };
  const moved = current !== null && current.underlayIp !== underlayIp;
  return { record, previousUnderlayIp: moved ? current.underlayIp : null, applied: true };
}

/** v2: a liveness transition from the broker. Null when it changes nothing (same status again). */
export function applyPresence(current: HostRecord, online: boolean, now: string): HostRecord | null {
  if (current.online === online) return null;
  return { ...current, online, lastSeen: now };
}
