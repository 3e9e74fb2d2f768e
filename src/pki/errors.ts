// Typed PKI errors: the API maps a CsrRejectedError to a 400 problem+json by its `reason`.
export type CsrRejection =
  | 'unparseable'
  | 'bad-signature'
  | 'unsupported-key'
  | 'cn-mismatch'
  | 'invalid-host-id';

export class CsrRejectedError extends Error {
  override readonly name = 'CsrRejectedError';
  constructor(
    readonly reason: CsrRejection,
    message: string,
  ) {
    super(message);
  }
}
