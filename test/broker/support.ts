// Small waits over MQTT.js events for the broker tests.
import type { MqttClient } from 'mqtt';

/** 'connected' on CONNACK, 'refused' when the connection fails or closes first, 'timeout' otherwise. */
export function connectOutcome(c: MqttClient, ms = 5000): Promise<'connected' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    const done = (v: 'connected' | 'refused') => {
      clearTimeout(timer);
      resolve(v);
    };
    c.once('connect', () => done('connected'));
    c.once('error', () => done('refused'));
    c.once('close', () => done('refused'));
  });
}

/** Collects every message this client receives, as `topic payload`. */
export function collect(c: MqttClient): string[] {
  const seen: string[] = [];
  c.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  return seen;
}

/** Resolves once `seen` has an entry matching `pred`, or rejects after `ms`. */
export async function until(seen: string[], pred: (s: string) => boolean, ms = 5000): Promise<number> {
  const start = Date.now();
  while (!seen.some(pred)) {
    if (Date.now() - start > ms) throw new Error(`not seen within ${ms} ms; seen: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** Resolves when the client's connection closes (or rejects after `ms`); returns the elapsed ms. */
export function closed(c: MqttClient, ms = 5000): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    c.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}
