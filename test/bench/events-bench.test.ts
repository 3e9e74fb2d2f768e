// `npm run bench:events` end to end (its own Temporal dev server, mosquitto, control worker with the relay and
// five MQTT host sessions): an idle Ready cluster, whose hosts all reconnect once, adds no history event.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const resultSchema = z.object({
  bench: z.literal('events'),
  hosts: z.literal(5),
  idleSeconds: z.number().positive(),
  readyMs: z.number().positive(),
  newEvents: z.object({ cluster: z.number().int(), hosts: z.array(z.number().int()).length(5) }),
  eventsPerHostHour: z.number().int(),
});

describe('bench:events', () => {
  it('an idle cluster costs zero history events per host-hour, reconnects included', async () => {
    const { stdout } = await execa('npx', ['tsx', 'bench/events.ts', '6'], { timeout: 180_000 });
    const line = stdout.split('\n').find((l) => l.startsWith('{"bench":"events"'));
    const result = resultSchema.parse(JSON.parse(line ?? 'null'));
    console.log(JSON.stringify(result));
    expect(result.newEvents.cluster).toBe(0);
    expect(result.newEvents.hosts).toEqual([0, 0, 0, 0, 0]);
    expect(result.eventsPerHostHour).toBe(0);
  }, 200_000);
});
