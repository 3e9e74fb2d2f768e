// `cluster create` asks again when the API says the create may still happen (503 + Retry-After), and only then.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/cli/api-client.js';
import { createWithRetry } from '../../src/cli/create-retry.js';

const accepted = { name: 'c', workflowId: 'cluster/c', uiUrl: 'http://ui/c' };
const pending = () =>
  new ApiError(
    503,
    { type: 'x', title: 'Service Unavailable', status: 503, detail: 'may still be created' },
    'create',
    2,
  );

function scripted(answers: Array<Error | typeof accepted>) {
  let calls = 0;
  const create = async () => {
    const a = answers[calls++];
    if (a instanceof Error) throw a;
    return a!;
  };
  return { create, calls: () => calls };
}

describe('createWithRetry', () => {
  it('asks again after Retry-After until the API answers, and says so each time', async () => {
    const s = scripted([pending(), pending(), accepted]);
    const slept: number[] = [];
    const said: string[] = [];
    const got = await createWithRetry(s.create, 'c', {
      sleep: async (ms) => void slept.push(ms),
      onRetry: (m) => said.push(m),
    });
    expect(got).toEqual(accepted);
    expect(s.calls()).toBe(3);
    expect(slept).toEqual([2000, 2000]);
    expect(said[0]).toMatch(/asking again in 2 s \(attempt 2 of 5/);
  });

  it('gives up after the last attempt with the API answer', async () => {
    const s = scripted([pending(), pending(), pending()]);
    await expect(
      createWithRetry(s.create, 'c', { attempts: 3, sleep: async () => {} }),
    ).rejects.toMatchObject({
      status: 503,
    });
    expect(s.calls()).toBe(3);
  });

  it('does not retry other answers: a 409, or a 503 without Retry-After', async () => {
    const conflict = new ApiError(409, null, 'create');
    const outage = new ApiError(503, null, 'create');
    for (const err of [conflict, outage]) {
      const s = scripted([err, accepted]);
      await expect(createWithRetry(s.create, 'c', { sleep: async () => {} })).rejects.toBe(err);
      expect(s.calls()).toBe(1);
    }
  });
});
