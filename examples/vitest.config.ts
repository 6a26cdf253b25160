import { defineProject } from 'vitest/config'

export default defineProject({
  // @tollgate/core resolves to its source here (tsconfig paths), to its dist once packed.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'examples',
    include: ['*/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
