// Registers the search attributes on a server that was not started with them (production, compose).
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

// CommonJS package: named ESM imports are not available at runtime.
const { temporal } = proto;

const wanted: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  ClusterName: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  ClusterPhase: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  HostCount: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** Idempotent: adds only the attributes the namespace lacks. Returns the names it added. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !have.has(name)));
  if (Object.keys(missing).length === 0) return [];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return Object.keys(missing);
}
