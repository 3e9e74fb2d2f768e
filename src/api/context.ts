// What every route needs, passed explicitly (no module-level singletons).
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { DEFAULT_UI_PORT } from '../domain/constants.js';
import type { ProductCa } from '../pki/ca.js';

/** What enrollment and host deletion need; without it those routes answer 503. */
export interface EnrollmentPki {
  ca: Pick<ProductCa, 'signHostCsr' | 'certPem'>;
  /** What agents should dial, e.g. mqtts://<api host>:8883 (the broker's name is checked, not this host). */
  brokerUrl: string;
  /** Revokes a certificate by serial (hex): the broker refuses it from then on. `identity` (the host id)
   * lets the broker also drop the live connection of a certificate this process did not issue. */
  revoke(serial: string, identity?: string): Promise<void>;
}

export interface ApiContext {
  client: Client;
  log: Logger;
  namespace: string;
  /** Control task queue for workflows the API starts (default CONTROL_TASK_QUEUE). */
  taskQueue?: string;
  /** Runs Temporal calls under one deadline, so a missing worker is a 503, not a hung request. `extraMs`
   * lengthens it for a call whose work grows with its input (a create claims every host before it answers). */
  withDeadline<T>(fn: () => Promise<T>, extraMs?: number): Promise<T>;
  /** Link into the Temporal Web UI for a workflow id. */
  uiUrl(workflowId: string): string;
  /** The product CA and broker, for join tokens, enrollment and host deletion. */
  pki?: EnrollmentPki;
  /** Whether the broker is reachable, for /healthz; without it /healthz checks Temporal only. */
  brokerHealthy?: () => Promise<boolean>;
}

export const DEFAULT_UI_BASE_URL = `http://127.0.0.1:${DEFAULT_UI_PORT}`;

/** `<uiBaseUrl>/namespaces/<ns>/workflows/<url-encoded workflowId>` */
export function workflowUiUrl(uiBaseUrl: string, namespace: string, workflowId: string): string {
  const base = uiBaseUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
