// Fixed MACs derived from the host id (REPORT pitfall 8): the overlay IP's MAC survives a device
// re-create and agent restarts. Locally administered unicast (02:...), one prefix byte per device.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

export function deviceMac(hostId: string, device: 'bridge' | 'vxlan'): string {
  const h = fnv1a(hostId);
  const bytes = [
    0x02,
    device === 'bridge' ? 0xeb : 0xec,
    h >>> 24,
    (h >>> 16) & 0xff,
    (h >>> 8) & 0xff,
    h & 0xff,
  ];
  return bytes.map(hex).join(':');
}
