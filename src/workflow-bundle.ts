// How the workflows are bundled: one place for the control worker, the test setup and replay, so what is
// tested is what runs.
import { fileURLToPath } from 'node:url';

// Same extension as this file: .ts under tsx/vitest, .js once compiled.
const ownExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const own = (path: string) => fileURLToPath(new URL(`${path}${ownExtension}`, import.meta.url));

/** Every workflow type is exported from here. */
export const workflowsPath = own('./workflows/index');

/** Modules every workflow of a worker shares instead of evaluating its own copy (workflows/shared-modules). */
export const sharedWorkflowModules = [own('./workflows/shared-modules')];

/** The options of bundleWorkflowCode, less the logger. */
export const workflowBundleOptions = () => ({ workflowsPath, preloadModules: sharedWorkflowModules });
