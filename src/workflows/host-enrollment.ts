// v2 handlers of `host/<hostId>` for its identity: join tokens (issued, redeemed once), the enrolled
// certificate and public key, and the host's deletion. Only token digests reach these handlers and so
// the history; the API holds the token only long enough to hash it. Rules live in domain/join-token.
import { setHandler, upsertMemo } from '@temporalio/workflow';
import {
  deleteHostUpdate,
  issueJoinTokenUpdate,
  redeemJoinTokenUpdate,
} from '../contract/workflow-messages.js';
import { ErrorType } from '../domain/errors.js';
import {
  emptyIdentity,
  type HostIdentityState,
  identityIsEmpty,
  issueJoinToken,
  JOIN_TOKEN_REFUSED,
  redeemJoinToken,
  redeemRefusal,
  refusalMessage,
} from '../domain/join-token.js';
import type { HostRecord } from '../domain/types.js';
import {
  deleteHostInputSchema,
  issueJoinTokenInputSchema,
  redeemJoinTokenInputSchema,
} from '../domain/validation.js';
import { fail, parseOrFail } from './validate.js';

export interface HostIdentityAccess {
  hostId: string;
  /** The identity carried over from the previous run (HostWorkflowInput.identity). */
  initial: HostIdentityState | undefined;
  get(): HostRecord | null;
  /** Null: the host left the inventory (deleted). */
  set(record: HostRecord | null): void;
}

export interface HostIdentity {
  /** True once the host was deleted: the workflow should end (after its handlers finish). */
  deleted(): boolean;
  /** What to add to the continue-as-new input: nothing when there is nothing to carry. */
  carry(): { identity?: HostIdentityState };
  /** The enrolled key and certificate serial, for a record made after enrollment (first report). */
  keys(): Pick<HostRecord, 'publicKey' | 'certificateSerial'>;
}

export function installIdentityHandlers(host: HostIdentityAccess): HostIdentity {
  let state: HostIdentityState = host.initial ?? emptyIdentity();
  let deleted = false;

  const ownHost = (hostId: string) => {
    if (hostId !== host.hostId) {
      fail(ErrorType.InvalidInput, `hostId ${hostId} does not match workflow host ${host.hostId}`);
    }
    if (deleted) fail(ErrorType.HostNotRegistered, `host ${host.hostId} was deleted`);
  };
  // Checked in the validator (a refusal leaves no trace in history) and again in the handler, so of
  // concurrent redemptions of one token exactly one succeeds.
  const ensureRedeemable = (tokenHash: string) => {
    const refusal = redeemRefusal(state, tokenHash, Date.now());
    if (refusal !== null) fail(JOIN_TOKEN_REFUSED, refusalMessage[refusal], { reason: refusal });
  };
  const ensureDeletable = () => {
    const cluster = host.get()?.cluster ?? null;
    if (cluster !== null) {
      fail(ErrorType.HostAlreadyInCluster, `host ${host.hostId} belongs to cluster ${cluster}`, { cluster });
    }
  };

  setHandler(
    issueJoinTokenUpdate,
    (input) => {
      const issued = issueJoinToken(state, input.tokenHash, input.ttlSeconds, Date.now());
      state = issued.state;
      return { hostId: host.hostId, expiresAt: issued.expiresAt };
    },
    { validator: (input) => ownHost(parseOrFail(issueJoinTokenInputSchema, input).hostId) },
  );

  setHandler(
    redeemJoinTokenUpdate,
    (input) => {
      ownHost(input.hostId);
      ensureRedeemable(input.tokenHash);
      const { certificateSerial, publicKey } = input;
      const redeemed = redeemJoinToken(state, input.tokenHash, { certificateSerial, publicKey });
      state = redeemed.state;
      const record = host.get();
      if (record !== null) {
        const next = { ...record, certificateSerial, publicKey };
        host.set(next);
        upsertMemo({ record: next });
      }
      return { previousCertificateSerial: redeemed.previousCertificateSerial };
    },
    {
      validator: (input) => {
        const parsed = parseOrFail(redeemJoinTokenInputSchema, input);
        ownHost(parsed.hostId);
        ensureRedeemable(parsed.tokenHash);
      },
    },
  );

  setHandler(
    deleteHostUpdate,
    (input) => {
      ownHost(input.hostId);
      ensureDeletable();
      deleted = true;
      // Gone from the inventory at once: queries, claims and the memo no longer see a record.
      host.set(null);
      upsertMemo({ record: null });
      const certificateSerial = state.certificateSerial ?? null;
      state = emptyIdentity();
      return { hostId: host.hostId, certificateSerial };
    },
    {
      validator: (input) => {
        ownHost(parseOrFail(deleteHostInputSchema, input).hostId);
        ensureDeletable();
      },
    },
  );

  return {
    deleted: () => deleted,
    carry: () => (identityIsEmpty(state) ? {} : { identity: state }),
    keys: () => ({
      ...(state.publicKey !== undefined ? { publicKey: state.publicKey } : {}),
      ...(state.certificateSerial !== undefined ? { certificateSerial: state.certificateSerial } : {}),
    }),
  };
}
