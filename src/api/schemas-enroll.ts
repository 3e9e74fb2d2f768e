// zod schemas of the identity routes: join tokens, enrollment and host deletion (DESIGN.md fixed contracts).
import { z } from 'zod';
import { DEFAULT_JOIN_TOKEN_TTL_S, MAX_JOIN_TOKEN_TTL_S } from '../domain/join-token.js';
import { hostIdSchema } from '../domain/validation.js';
import { problemResponse, problemResponses } from './schemas.js';

/** A PEM CSR for one Ed25519 or P-256 key is well under 1 KiB; 16 KiB leaves room and bounds the work. */
const MAX_CSR_LENGTH = 16 * 1024;

export const joinTokenBody = z
  .strictObject({
    hostId: hostIdSchema,
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_JOIN_TOKEN_TTL_S)
      .optional()
      .describe(`how long the token is valid (default ${DEFAULT_JOIN_TOKEN_TTL_S})`),
  })
  .meta({ id: 'JoinTokenRequest' });

export const joinTokenSchema = z
  .object({
    hostId: z.string(),
    token: z.string().describe('single use; give it to the agent of this host only'),
    expiresAt: z.string(),
  })
  .meta({ id: 'JoinToken' });

export const enrollBody = z
  .strictObject({
    hostId: hostIdSchema,
    // Optional here so a missing token is the contract's 401, not a 400 from validation.
    joinToken: z.string().max(256).optional(),
    csr: z.string().min(1).max(MAX_CSR_LENGTH).describe('PEM PKCS#10 request, subject exactly CN=<hostId>'),
  })
  .meta({ id: 'EnrollRequest' });

export const enrollmentSchema = z
  .object({
    certificate: z.string().describe('PEM client certificate, CN = hostId'),
    caCertificate: z.string().describe('PEM CA certificate: verify the broker against it'),
    broker: z.string().describe('broker URL, e.g. mqtts://host:8883'),
  })
  .meta({ id: 'Enrollment' });

export const hostDeletedSchema = z
  .object({
    hostId: z.string(),
    workflowId: z.string(),
    revokedCertificateSerial: z.string().nullable(),
  })
  .meta({ id: 'HostDeleted' });

export const notConfiguredResponse = problemResponse('enrollment not configured (no CA on this API)');

export const enrollResponses = {
  400: problemResponses[400],
  401: problemResponse('missing, wrong, used or expired join token, or one issued for another host'),
  500: problemResponses[500],
  503: problemResponse('enrollment not configured, or Temporal did not answer in time'),
};
