// Join tokens as the API makes and checks them: 32 random bytes (base64url) handed to the admin once, and
// the SHA-256 digest (base64url) that is all the host workflow ever stores or compares.
import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes in base64url without padding: exactly 43 characters. */
export const JOIN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const newJoinToken = (): string => randomBytes(32).toString('base64url');

export const hashJoinToken = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('base64url');
