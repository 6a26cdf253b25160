// The one list of test projects. Vitest 4 no longer reads this file by itself: vitest.config.ts imports it.
export default ['packages/core', 'apps/gateway', 'examples', 'deploy']
