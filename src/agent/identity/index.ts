// The agent's identity: its own key (made here, never sent), enrollment with a join token, and
// certificate renewal over its own session.
export { AgentIdentity } from './agent-identity.js';
export { type CertificateFacts, checkHostCertificate, IdentityError } from './certificate.js';
export { EnrollmentError } from './enroll.js';
export { identityPaths } from './files.js';
export { defaultBrokerUrl, type LoadOrEnrollOptions, loadOrEnroll } from './load-or-enroll.js';
export {
  RENEWAL_BAND,
  type Renewal,
  type RenewalChannel,
  type RenewalOptions,
  renewalTime,
  startRenewal,
} from './renewal.js';
