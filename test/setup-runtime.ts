// Keeps the SDK quiet in test output: warnings and errors only (per test-file process).
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
