// Tells the control plane who and where this host is: registration (update-with-start on host/<id>) at
// start and on every underlay change, then periodic heartbeats. Straight to Temporal; the API
// (POST /v1/hosts/register) is the fallback when Temporal is not connected. A failed registration is
// retried after 100 ms, then backing off to every second. Each answer (the host's record) goes to
// `beforeRegister`'s callback, which tears down an overlay of a cluster that no longer counts this host.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_INTERVAL_S } from '../domain/constants.js';
import { ErrorType } from '../domain/errors.js';
import { registerHost, reportHeartbeat } from '../temporal/hosts.js';
import type { Membership } from './membership.js';

/** A call on a half-dead connection must not block the next report. */
const CALL_DEADLINE_MS = 10_000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;
const DEFAULT_HEARTBEAT_MS = DEFAULT_HEARTBEAT_INTERVAL_S * 1000;
/** The part of the API's host record the agent acts on. */
const membershipSchema = z.object({ cluster: z.string().nullable() });
const membershipOf = (answer: unknown): Membership | null => {
  const parsed = membershipSchema.safeParse(answer);
  return parsed.success ? { cluster: parsed.data.cluster } : null;
};

export interface ReporterOptions {
  hostId: string;
  underlayIface: string;
  log: Logger;
  labels?: Record<string, string>;
  api?: { url: string; token: string };
  heartbeatMs?: number;
  /** Called just before each registration; the returned function gets the control plane's answer. */
  beforeRegister?: () => (answer: Membership) => Promise<void>;
  /** Injected for tests. */
  fetch?: typeof fetch;
}

export class Reporter {
  private client: Client | null = null;
  private ip: string | null = null;
  private registeredIp: string | null = null;
  private wake: (() => void) | undefined;
  private looping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Successful registrations so far (tests and logs). */
  registrations = 0;

  constructor(private readonly o: ReporterOptions) {}

  start(ip: string | null): void {
    this.ip = ip;
    this.heartbeat = setInterval(() => void this.beat(), this.o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref();
    this.kick();
  }

  setClient(client: Client | null): void {
    this.client = client;
    if (client) this.kick();
  }

  addressChanged(ip: string | null): void {
    this.ip = ip;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.wake?.();
  }

  /** Registers until the registered address is the current one; one loop at a time, woken by changes. */
  private kick(): void {
    this.wake?.();
    if (this.looping) return;
    this.looping = true;
    void this.registerLoop().finally(() => {
      this.looping = false;
    });
  }

  private async registerLoop(): Promise<void> {
    // The connection has no gRPC-level retries (see temporal-loop.ts): retry soon after a first
    // failure (a socket just aborted after renumbering), then every second.
    let retryMs = RETRY_FIRST_MS;
    while (!this.stopped && this.ip !== null && this.ip !== this.registeredIp) {
      const ip = this.ip;
      try {
        const answered = this.o.beforeRegister?.();
        const membership = await this.register(ip);
        this.registeredIp = ip;
        this.registrations++;
        retryMs = RETRY_FIRST_MS;
        this.o.log.info({ underlayIp: ip, cluster: membership?.cluster }, 'host registered');
        if (answered && membership)
          void answered(membership).catch((err) =>
            this.o.log.error({ err: String(err) }, 'could not act on the registration answer'),
          );
      } catch (err) {
        this.o.log.warn({ err: String(err), underlayIp: ip, retryMs }, 'registration failed; retrying');
        const delay = retryMs;
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Registers; returns the cluster the control plane counts this host in (null if the answer has none). */
  private async register(underlayIp: string): Promise<Membership | null> {
    const input = {
      hostId: this.o.hostId,
      underlayIp,
      underlayIface: this.o.underlayIface,
      ...(this.o.labels ? { labels: this.o.labels } : {}),
    };
    const client = this.client;
    if (client) {
      const record = await client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
        registerHost(client, input),
      );
      return membershipOf(record);
    }
    if (!this.o.api) throw new Error('Temporal not connected yet');
    const res = await (this.o.fetch ?? fetch)(new URL('/v1/hosts/register', this.o.api.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.api.token}` },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`POST /v1/hosts/register: HTTP ${res.status} ${await res.text()}`);
    return membershipOf(await res.json().catch(() => null));
  }

  private async beat(): Promise<void> {
    if (this.stopped || !this.client || this.registeredIp === null) return;
    try {
      const client = this.client;
      await client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
        reportHeartbeat(client, this.o.hostId, this.ip ?? undefined),
      );
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === ErrorType.HostNotRegistered) {
        this.registeredIp = null;
        this.kick();
      } else this.o.log.warn({ err: String(err) }, 'heartbeat failed');
    }
  }
}
