import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { tsconfigPaths: true },
  test: {
    name: 'deploy',
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
})
