import { defineConfig } from 'vitest/config';

// e2e tests start real processes (engine, rtpengine, sipp, baresip) on dynamic loopback ports,
// so files may run in parallel; a 2-core box gets two workers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
