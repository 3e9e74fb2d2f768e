// The Temporal client retries failed gRPC calls from a timer (its retry interceptor). When the connection
// was closed meanwhile (a stop: the lab, a test, SIGTERM), that timer's next attempt throws "Channel has
// been shut down" as an uncaught exception and takes the whole process down. This interceptor sits below
// the retry interceptor: an attempt on a closed channel goes nowhere instead, so nothing is thrown from a
// timer (the caller's promise stays pending; its connection is gone).
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import {
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';

/** Stands in for the call the closed channel could not make; every operation goes nowhere. */
const noop = () => undefined;
const closedCall = {
  cancelWithStatus: noop,
  getPeer: () => 'closed',
  start: noop,
  sendMessageWithContext: noop,
  sendMessage: noop,
  startRead: noop,
  halfClose: noop,
  getAuthContext: () => null,
} as unknown as ConstructorParameters<typeof InterceptingCall>[0];

export const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return new InterceptingCall(nextCall(options));
  } catch (err) {
    if (!(err instanceof Error) || !/Channel has been shut down/.test(err.message)) throw err;
    // Never answered: the retry interceptor cannot take a final status for an attempt that received no
    // message (it calls an unset callback and throws, from a timer again), so the call simply stays pending.
    // The connection is closed: whoever waits on it is shutting down too.
    return new InterceptingCall(closedCall, { start() {}, sendMessage() {}, halfClose() {}, cancel() {} });
  }
};

/** Connection.connect with the SDK's retries and the guard below them. */
export function connectTemporalClient(options: ConnectionOptions): Promise<Connection> {
  return Connection.connect({
    ...options,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard],
  });
}
