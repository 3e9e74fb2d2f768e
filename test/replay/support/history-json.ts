// Loads a protojson history file into a History message. The SDK's historyFromJSON fails in this install
// ("type must be a Type"): @temporalio/common and @temporalio/proto each carry their own protobufjs copy, so
// we parse with the protojson of the copy that @temporalio/proto's types were built with.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { temporal } from '@temporalio/proto';

const require = createRequire(import.meta.url);
const protoEntry = require.resolve('@temporalio/proto');
const protoRequire = createRequire(protoEntry);
const { fromJson } = protoRequire('protobufjs/ext/protojson') as {
  fromJson: (type: unknown, json: unknown, opts: object) => unknown;
};
const root = require('@temporalio/proto') as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

export function loadHistory(path: string): temporal.api.history.v1.History {
  const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const history = fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError(`${path} is not a history`);
  return history as temporal.api.history.v1.History;
}

/** Ids of the patches (`patched()` markers) a history recorded. */
export function patchIds(history: temporal.api.history.v1.History): string[] {
  const ids: string[] = [];
  for (const e of history.events ?? []) {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    if (data) ids.push((JSON.parse(new TextDecoder().decode(data)) as { id: string }).id);
  }
  return ids;
}
