// Counting at the edge of an object of async functions (the agent's command handlers, the control
// worker's relay activities) instead of inside them: the code that does the work stays as it is.
type AsyncCall = (...args: unknown[]) => Promise<unknown>;

/** A copy of `target` with each function member replaced by `wrap(name, call)`; the rest as it is. */
export function wrapFunctions<T extends object>(
  target: T,
  wrap: (name: string, call: AsyncCall) => AsyncCall,
): T {
  const out = { ...target } as Record<string, unknown>;
  for (const [name, fn] of Object.entries(target)) {
    if (typeof fn === 'function') out[name] = wrap(name, (...args) => fn.apply(target, args));
  }
  return out as T;
}
