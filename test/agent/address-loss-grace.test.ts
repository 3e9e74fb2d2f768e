// A lost underlay address is reported only when no new one follows within the grace (DHCP renumbering
// sets the new address ~0.2 s after removing the old one): real timers, short grace.
import { describe, expect, it } from 'vitest';
import { addressLossGrace } from '../../src/agent/address-loss-grace.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('address loss grace', () => {
  it('a new address within the grace: reported at once, the loss never', async () => {
    let losses = 0;
    const g = addressLossGrace({ graceMs: 100, onLoss: () => losses++ });
    expect(g.change(null)).toBe(false);
    await sleep(40);
    expect(g.change('10.0.0.7')).toBe(true);
    await sleep(150);
    expect(losses).toBe(0);
  });

  it('no new address: the loss is reported once, after the grace', async () => {
    let losses = 0;
    const g = addressLossGrace({ graceMs: 60, onLoss: () => losses++ });
    g.change(null);
    await sleep(20);
    expect(losses).toBe(0);
    g.change(null); // a second loss event restarts the wait, no second report
    await sleep(120);
    expect(losses).toBe(1);
  });

  it('stop() drops a waiting loss', async () => {
    let losses = 0;
    const g = addressLossGrace({ graceMs: 30, onLoss: () => losses++ });
    g.change(null);
    g.stop();
    await sleep(80);
    expect(losses).toBe(0);
  });
});
