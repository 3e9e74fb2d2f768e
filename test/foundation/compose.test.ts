// docker-compose.yml is for users' production; no Docker engine here, so it is checked by parsing.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

interface Service {
  image?: string;
  entrypoint?: string[];
  volumes?: string[];
  ports?: string[];
  pid?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('defines PostgreSQL, Temporal, the Temporal UI, the control worker, the API and the broker', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'broker',
      'broker-reloader',
      'postgresql',
      'temporal',
      'temporal-ui',
      'worker',
    ]);
    expect(services['postgresql']?.image).toMatch(/^postgres:/);
    expect(services['temporal']?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
  });

  it('runs Temporal on PostgreSQL', () => {
    const env = services['temporal']?.environment ?? {};
    expect(env['DB']).toBe('postgres12');
    expect(env['POSTGRES_SEEDS']).toBe('postgresql');
  });

  it.each(['worker', 'api'])(
    'builds %s from the Dockerfile and points it at the Temporal service',
    (name) => {
      const svc = services[name]!;
      expect(svc.build).toBe('.');
      expect(svc.environment?.['EDGE_OVERLAY_TEMPORAL']).toBe('temporal:7233');
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      expect(deps).toContain('temporal');
      expect(svc.command?.[0]).toBe(name);
    },
  );

  it('points the UI at the Temporal service', () => {
    expect(services['temporal-ui']?.environment?.['TEMPORAL_ADDRESS']).toBe('temporal:7233');
  });

  it('runs mosquitto 2 on its TLS port only, with its config mounted read-only from the control plane', () => {
    const broker = services['broker']!;
    expect(broker.image).toMatch(/^eclipse-mosquitto:2/);
    expect(broker.command).toEqual(['mosquitto', '-c', '/mosquitto/config/mosquitto.conf']);
    expect(broker.ports).toEqual(['8883:8883']);
    expect(broker.volumes).toContain('broker-config:/mosquitto/config:ro');
    const writer = services['api']?.volumes ?? [];
    expect(writer.some((v) => v.startsWith('broker-config:') && !v.endsWith(':ro'))).toBe(true);
    // no service publishes plain MQTT
    for (const svc of Object.values(services)) {
      expect((svc.ports ?? []).filter((p) => /(^|:)1883$/.test(p))).toEqual([]);
    }
  });

  it('reloads the broker CRL by SIGHUP from a sidecar in the broker PID namespace', () => {
    const reloader = services['broker-reloader']!;
    expect(reloader.pid).toBe('service:broker');
    expect(reloader.volumes).toContain('broker-config:/mosquitto/config:ro');
    expect(reloader.command?.join(' ')).toMatch(/crl\.pem[\s\S]*kill -HUP 1/);
  });

  it('bases the image on Node 24 LTS', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const froms = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThan(0);
    for (const line of froms) expect(line).toMatch(/^FROM node:24[-.]/);
  });
});
