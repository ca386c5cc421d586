import { configDefaults, defineConfig } from 'vitest/config';

// Two projects so the unit tests run on a machine without PostgreSQL or Redis
// (`npm run test:unit`): only the `services` project has the global setup that finds them.
// `npm test` runs both.
export default defineConfig({
  test: {
    // Files run in parallel; each isolates itself (own database, Redis prefix, queue prefix).
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
          globalSetup: ['test/setup/global-setup.ts'],
        },
      },
    ],
  },
});
