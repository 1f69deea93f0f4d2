import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.dirname(new URL(import.meta.url).pathname) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'checks/**/*.test.ts',
            'lib/**/*.test.ts',
            'app/**/*.test.ts',
            'test/cluster/**/*.test.ts',
            'test/monitoring/**/*.test.ts',
            'test/image/**/*.test.ts',
            'scripts/**/*.test.ts',
            'cli/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One real cluster, shared namespaces: run files one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
