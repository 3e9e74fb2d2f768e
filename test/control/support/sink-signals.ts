// The underlay changes a signal sink (standing in for a cluster workflow) received, one list per signal:
// underlayChanged carries one change, the relay's batched underlayChanges several.
export interface SinkChange {
  hostId: string;
  underlayIp: string;
  seq: number;
}

type Signaled = {
  workflowExecutionSignaledEventAttributes?: {
    signalName?: string | null;
    input?: { payloads?: Array<{ data?: Uint8Array | null }> | null } | null;
  } | null;
};

export async function sinkSignals(sink: {
  fetchHistory(): Promise<{ events?: unknown[] | null }>;
}): Promise<SinkChange[][]> {
  return ((await sink.fetchHistory()).events ?? []).flatMap((raw) => {
    const a = (raw as Signaled).workflowExecutionSignaledEventAttributes;
    const name = a?.signalName;
    if (name !== 'underlayChanged' && name !== 'underlayChanges') return [];
    const value = JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString());
    return [name === 'underlayChanges' ? (value.changes as SinkChange[]) : [value as SinkChange]];
  });
}
