// The senders a signed-packet receiver accepts: host id → public key from the peer table (SPKI DER base64)
// and the (epoch, counter) position of its last accepted packet (beacon/replay.ts). Replaced wholesale:
// a sender whose key is unchanged keeps its position, a new key (re-enrolled host) starts afresh, a host
// no longer listed is forgotten, a key that is not Ed25519/P-256 is skipped (its packets: unknown host).
import type { KeyObject } from 'node:crypto';
import { publicKeyFromSpki } from '../beacon/keys.js';
import type { BeaconPosition } from '../beacon/replay.js';

export interface Sender {
  spki: string;
  key: KeyObject;
  last?: BeaconPosition;
}

export class SenderKeys {
  private readonly senders = new Map<string, Sender>();

  constructor(private readonly selfHostId: string) {}

  get(hostId: string): Sender | undefined {
    return this.senders.get(hostId);
  }

  get size(): number {
    return this.senders.size;
  }

  set(keys: Iterable<readonly [string, string]>): { usable: number; unusable: string[] } {
    const next = new Map<string, Sender>();
    const unusable: string[] = [];
    for (const [hostId, spki] of keys) {
      if (hostId === this.selfHostId) continue;
      const held = this.senders.get(hostId);
      const key = held?.spki === spki ? held.key : publicKeyFromSpki(spki);
      if (!key) unusable.push(hostId);
      else next.set(hostId, held?.spki === spki ? held : { spki, key });
    }
    this.senders.clear();
    for (const [h, s] of next) this.senders.set(h, s);
    return { usable: this.senders.size, unusable };
  }
}
