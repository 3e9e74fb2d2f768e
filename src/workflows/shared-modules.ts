// Loaded once into the control worker's V8 context, before any workflow, and shared by every workflow it
// runs (bundlerOptions.preloadModules, see src/workflow-bundle.ts). The SDK otherwise evaluates every
// module of the bundle anew for each cached workflow; zod alone was ~0.7 MB of each one's heap (a cached
// host workflow: 1.31-1.34 MB, 0.59-0.62 MB with zod shared; test/foundation/shared-workflow-modules), and
// a control plane caches thousands (1 000 clusters of 3 hosts: ~4 000 workflows).
//
// The SDK deep-freezes what this module loads. zod keeps a little one-time state that it sets up lazily
// on first use (its default locale and memoizer in its global config, and whether `new Function` is
// allowed): doing that here, before the freeze, leaves nothing for a workflow to write. Only the library
// is shared: our own schemas are zod instances that zod extends on use, so they stay per workflow.
// A zod upgrade that adds lazy global state would make its first write throw in a workflow: every
// workflow test runs on this bundle and would fail, so it cannot slip through quietly.
import { z } from 'zod';

z.object({ warm: z.string() }).safeParse({ warm: 'up' });
