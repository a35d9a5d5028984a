// ESM all the way: ts-jest compiles each file on its own (isolatedModules), and
// `npm run typecheck` does the type-checking that this skips.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Integration and end-to-end suites start real registries; give them room.
  testTimeout: 60_000,
  maxWorkers: 2,
  verbose: false
}
