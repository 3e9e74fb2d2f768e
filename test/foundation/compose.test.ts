// docker-compose.yml is for users' production; no Docker engine here, so it is checked by parsing, and its
// environment is fed to the same config code the containers run.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { BROKER_CONTAINER_DEFAULTS, resolveApiConfig, resolveWorkerConfig } from '../../src/config/serve.js';

interface Service {
  image?: string;
  entrypoint?: string[];
  volumes?: string[];
  ports?: Array<string | { published?: string | number; host_ip?: string }>;
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

/** The container path a named volume is mounted at in a service, or undefined. */
const mountOf = (svc: Service | undefined, volume: string) =>
  svc?.volumes?.find((v) => v.startsWith(`${volume}:`))?.split(':')[1];

/** `${NAME:?message}` / `${NAME:-default}` as compose would substitute them with `given` set. */
const substitute = (env: Record<string, string>, given: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v.replace(
        /\$\{(\w+)(?::[?-]([^}]*))?\}/g,
        (_m, name: string, fallback?: string) => given[name] ?? fallback ?? '',
      ),
    ]),
  );

/** Published ports that are not bound to a loopback address. */
const publicPorts = (svc: Service | undefined) =>
  (svc?.ports ?? []).filter((p) => {
    if (typeof p !== 'string') return !/^127\.|^::1$/.test(p.host_ip ?? '');
    const parts = p.split(':');
    return parts.length < 3 || !/^127\./.test(parts[0]!);
  });

const given = {
  EDGE_OVERLAY_TOKEN: 'compose-test-token-0123456789',
  EDGE_OVERLAY_BROKER_ADVERTISE: 'mqtts://control.example.net:8883',
};

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

  it('keeps Temporal, PostgreSQL and the Temporal UI off public ports', () => {
    for (const name of ['temporal', 'postgresql', 'temporal-ui']) {
      expect(publicPorts(services[name]), name).toEqual([]);
    }
    // the UI is still reachable from this machine
    expect(services['temporal-ui']?.ports).toEqual(['127.0.0.1:8233:8080']);
    // only the API and the broker face the network
    const exposed = Object.entries(services)
      .filter(([, svc]) => publicPorts(svc).length > 0)
      .map(([name]) => name);
    expect(exposed.sort()).toEqual(['api', 'broker']);
  });

  it('runs the worker on the v2 host channel: PKI volume and broker URL its config accepts', () => {
    const worker = services['worker']!;
    const env = substitute(worker.environment ?? {}, given);
    const config = resolveWorkerConfig({}, loadEnv(env));
    expect(config.brokerUrl).toBe('mqtts://broker:8883');
    expect(mountOf(worker, 'pki')).toBe(config.pkiDir);
    expect(config.temporal).toBe('temporal:7233');
  });

  it('runs the API with the same PKI volume, writing the broker config volume the broker mounts', () => {
    const api = services['api']!;
    const env = substitute(api.environment ?? {}, given);
    const config = resolveApiConfig({}, loadEnv(env));
    expect(mountOf(api, 'pki')).toBe(config.pkiDir);
    expect(mountOf(api, 'pki')).toBe(mountOf(services['worker'], 'pki'));
    expect(mountOf(api, 'broker-config')).toBe(config.brokerConfigDir);
    expect(config.brokerAdvertise).toBe(given.EDGE_OVERLAY_BROKER_ADVERTISE);
    // the files are written for the broker container's mounts and its listener
    expect(mountOf(services['broker'], 'broker-config')).toBe(config.brokerConfigPathIn);
    expect(mountOf(services['broker'], 'broker-data')).toBe(config.brokerDataPathIn);
    expect(config.brokerConfigPathIn).toBe(BROKER_CONTAINER_DEFAULTS.configPathIn);
    expect(config.brokerListen).toEqual({ host: '0.0.0.0', port: 8883 });
    // both required values fail loudly when left unset
    expect(api.environment?.['EDGE_OVERLAY_TOKEN']).toMatch(/^\$\{EDGE_OVERLAY_TOKEN:\?/);
    expect(api.environment?.['EDGE_OVERLAY_BROKER_ADVERTISE']).toMatch(
      /^\$\{EDGE_OVERLAY_BROKER_ADVERTISE:\?/,
    );
  });

  it('runs mosquitto 2 on its TLS port only, with its config mounted read-only from the control plane', () => {
    const broker = services['broker']!;
    expect(broker.image).toMatch(/^eclipse-mosquitto:2/);
    // waits for the API's config, then mosquitto replaces the shell as PID 1 (what the reloader signals)
    const script = broker.command?.at(-1) ?? '';
    expect(broker.command?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(script).toMatch(/until \[ -f \/mosquitto\/config\/mosquitto\.conf \]/);
    expect(script).toMatch(/; exec mosquitto -c \/mosquitto\/config\/mosquitto\.conf$/);
    expect(broker.ports).toEqual(['8883:8883']);
    expect(broker.volumes).toContain('broker-config:/mosquitto/config:ro');
    const writer = services['api']?.volumes ?? [];
    expect(writer.some((v) => v.startsWith('broker-config:') && !v.endsWith(':ro'))).toBe(true);
    // no service publishes plain MQTT
    for (const svc of Object.values(services)) {
      expect((svc.ports ?? []).filter((p) => /(^|:)1883$/.test(String(p)))).toEqual([]);
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

  it('gives the unprivileged image user the volumes it writes (a new named volume takes their owner)', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const userAt = dockerfile.indexOf('USER node');
    expect(userAt).toBeGreaterThan(0);
    const beforeUser = dockerfile.slice(0, userAt);
    for (const dir of [mountOf(services['api'], 'pki'), mountOf(services['api'], 'broker-config')]) {
      expect(beforeUser).toContain(`mkdir -p`);
      expect(beforeUser).toContain(dir!);
    }
    expect(beforeUser).toMatch(/chown -R node:node \/var\/lib\/edge-overlay/);
  });
});
