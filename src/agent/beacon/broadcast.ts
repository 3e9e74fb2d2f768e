// Where a beacon is sent: the directed broadcast of the underlay subnet. Pure address math.

/** Pure parse of "a.b.c.d" to a 32-bit unsigned number (inputs are validated upstream). */
function toNumber(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The directed broadcast of the interface's subnet (10.213.0.255 for 10.213.0.7/24). Sending there
 * needs no default route: the kernel keeps a local broadcast route per address. /31 and /32 have
 * no broadcast, so the limited broadcast is used instead (it needs a route).
 */
export function directedBroadcast(ip: string, prefixLength: number): string {
  if (prefixLength >= 31) return '255.255.255.255';
  const hostBits = 2 ** (32 - prefixLength);
  const network = toNumber(ip) - (toNumber(ip) % hostBits);
  return toDotted(network + hostBits - 1);
}
