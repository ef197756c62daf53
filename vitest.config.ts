import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every *.test.ts of the repository (vitest's default exclude keeps node_modules and dist out): a
    // directory list missed extensions/ once.
    include: ['**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
