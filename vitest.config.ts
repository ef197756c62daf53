import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'processors/**/*.test.ts', 'exporters/**/*.test.ts', 'receivers/**/*.test.ts', 'config/**/*.test.ts', 'test/**/*.test.ts', 'torture/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
