import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-runtime.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Network-namespace tests share the kernel; workflow tests share one server: run files one at a time.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
