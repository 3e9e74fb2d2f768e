// The one entry to @peculiar/x509: its dependency injection (tsyringe) throws at load time unless a
// Reflect metadata polyfill was loaded first, and ESM evaluates imports in order, so every PKI module
// imports the library through this file, never directly.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Signs through Node's own WebCrypto, set explicitly rather than found on globalThis.
x509.cryptoProvider.set(webcrypto);

export { x509 };
