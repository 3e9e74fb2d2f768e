// POST /v1/hosts/enroll: the agent trades its join token and a CSR for its certificate. No bearer token:
// the join token is the credential (src/api/auth.ts exempts this route). Every token failure is the same
// 401 kind; the token and the CSR never reach a log, only the host id and the new serial do.
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorType } from '../../domain/errors.js';
import { JOIN_TOKEN_REFUSED } from '../../domain/join-token.js';
import { CsrRejectedError } from '../../pki/errors.js';
import { redeemJoinToken } from '../../temporal/host-identity.js';
import type { ApiContext } from '../context.js';
import { hashJoinToken, JOIN_TOKEN_PATTERN } from '../join-token-secret.js';
import { ProblemError, ProblemType } from '../problem.js';
import { requirePki } from '../require-pki.js';
import { enrollBody, enrollmentSchema, enrollResponses } from '../schemas-enroll.js';
import { temporalProblem } from '../temporal-errors.js';

const refused = (detail: string) => new ProblemError(401, ProblemType.JoinTokenRefused, detail);
const NOT_VALID = 'join token is not valid for this host';

/** A redemption the host workflow refused, or a host with no workflow (never issued a token, or deleted):
 * all 401, without telling a caller whether the host exists. */
function redeemProblem(err: unknown): ProblemError {
  if (err instanceof WorkflowNotFoundError) return refused(NOT_VALID);
  if (err instanceof ApplicationFailure && err.type === JOIN_TOKEN_REFUSED) return refused(err.message);
  if (err instanceof ApplicationFailure && err.type === ErrorType.HostNotRegistered)
    return refused(NOT_VALID);
  return temporalProblem(err, () => refused(NOT_VALID));
}

export const enrollRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/hosts/enroll',
      {
        schema: {
          summary: "enroll a host: its join token and a CSR from its own key for the host's certificate",
          security: [],
          body: enrollBody,
          response: { 200: enrollmentSchema, ...enrollResponses },
        },
      },
      async (req) => {
        const pki = requirePki(ctx);
        const { hostId, joinToken, csr } = req.body;
        if (!joinToken) throw refused('missing join token (joinToken)');
        // Not a token this API could have issued: refused without asking Temporal or signing anything.
        if (!JOIN_TOKEN_PATTERN.test(joinToken)) throw refused(NOT_VALID);

        // Signed first, handed out only after the workflow consumed the token and recorded this serial in
        // the same update, so single use holds however many enrolls race with one token.
        let signed: Awaited<ReturnType<typeof pki.ca.signHostCsr>>;
        try {
          signed = await pki.ca.signHostCsr(csr, hostId);
        } catch (err) {
          if (!(err instanceof CsrRejectedError)) throw err;
          throw new ProblemError(400, ProblemType.CsrRejected, `CSR rejected: ${err.message}`, [
            { field: 'csr', message: `${err.reason}: ${err.message}` },
          ]);
        }

        let previous: string | null;
        try {
          const input = {
            hostId,
            tokenHash: hashJoinToken(joinToken),
            certificateSerial: signed.serial,
            publicKey: signed.publicKey,
          };
          ({ previousCertificateSerial: previous } = await ctx.withDeadline(() =>
            redeemJoinToken(ctx.client, input),
          ));
        } catch (err) {
          throw redeemProblem(err);
        }
        req.log.info({ hostId, serial: signed.serial, notAfter: signed.notAfter }, 'host enrolled');
        // A host that enrolls again gets a new certificate; the one it replaces stops working.
        if (previous !== null) {
          await pki.revoke(previous, hostId).catch((err: unknown) => {
            req.log.error({ hostId, serial: previous, err }, 'could not revoke the replaced certificate');
          });
        }
        return { certificate: signed.certPem, caCertificate: pki.ca.certPem, broker: pki.brokerUrl };
      },
    );
  };
