// The control worker registers its own activities and the host relay's in ONE activity map on one task
// queue: a name in both would silently replace one implementation with the other, so it is refused.

export class ActivityNameClashError extends Error {
  override readonly name = 'ActivityNameClashError';
  constructor(readonly names: string[]) {
    super(`host relay activity names clash with control activities: ${names.join(', ')}`);
  }
}

/** The union of both maps; throws ActivityNameClashError when a name is in both. */
export function withHostRelayActivities<C extends object, R extends object>(control: C, relay: R): C & R {
  const clash = Object.keys(relay).filter((name) => Object.hasOwn(control, name));
  if (clash.length > 0) throw new ActivityNameClashError(clash);
  return { ...control, ...relay };
}
