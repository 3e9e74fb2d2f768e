// Shared bits of the lab and e2e tests.

/** Root-only tests skip loudly elsewhere (CI runs as root). */
export function isRoot(file: string): boolean {
  const root = process.getuid?.() === 0;
  if (!root) console.warn(`\n*** SKIPPING ${file}: network-namespace tests need root ***\n`);
  return root;
}

const num = (ip: string): number => ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);

export function inPool(ip: string | null, [first, last]: [string, string]): boolean {
  return ip !== null && num(ip) >= num(first) && num(ip) <= num(last);
}
