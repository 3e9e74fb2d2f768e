// The relay's activities share the control worker's one activity map: no name may be in both.
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createControlActivities } from '../../src/activities/control/index.js';
import { ActivityNameClashError, withHostRelayActivities } from '../../src/control/activity-names.js';
import { PendingCommands } from '../../src/control/pending-commands.js';
import { createRelayActivities, hostRelayActivityNames } from '../../src/control/relay-activities.js';

const relay = () =>
  createRelayActivities({
    pending: new PendingCommands(),
    publisher: { publish: async () => ({ noSubscribers: false }) },
    log: pino({ level: 'silent' }),
  });

describe('host relay activity names', () => {
  it('are exactly the host command kinds and clash with no control activity', () => {
    const control = createControlActivities({ client: {} as Client });
    const merged = withHostRelayActivities(control, relay());
    expect(Object.keys(relay()).sort()).toEqual([...hostRelayActivityNames].sort());
    for (const name of Object.keys(control)) expect(merged).toHaveProperty(name);
    for (const name of hostRelayActivityNames) expect(typeof merged[name]).toBe('function');
  });

  it('a clash is refused with the clashing names', () => {
    const control = { ...createControlActivities({ client: {} as Client }), setPeers: async () => undefined };
    expect(() => withHostRelayActivities(control, relay())).toThrow(ActivityNameClashError);
    expect(() => withHostRelayActivities(control, relay())).toThrow(/setPeers/);
  });
});
