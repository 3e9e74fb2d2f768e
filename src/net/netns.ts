// Network namespace verbs (lab and tests): `ip netns add|del|list`.
import { z } from 'zod';
import { netnsNameSchema } from './ns.js';
import type { Runner } from './runner.js';

/** ip netns add NAME */
export async function netnsAdd(r: Runner, name: string): Promise<void> {
  await r.run('ip', ['netns', 'add', netnsNameSchema.parse(name)]);
}

/** ip netns del NAME (removes every link inside it) */
export async function netnsDel(r: Runner, name: string): Promise<void> {
  await r.run('ip', ['netns', 'del', netnsNameSchema.parse(name)]);
}

/** ip -j netns list → names */
export async function netnsList(r: Runner): Promise<string[]> {
  const { stdout } = await r.run('ip', ['-j', 'netns', 'list']);
  if (!stdout.trim()) return [];
  return z
    .array(z.object({ name: z.string() }))
    .parse(JSON.parse(stdout))
    .map((n) => n.name);
}
