// Shared bits of the lab and e2e tests.

const num = (ip: string): number => ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);

export function inPool(ip: string | null, [first, last]: [string, string]): boolean {
  return ip !== null && num(ip) >= num(first) && num(ip) <= num(last);
}
