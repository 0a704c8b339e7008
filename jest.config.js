/** Jest runs the TypeScript sources as ESM through ts-jest (see STACK notes in docs/decisions.md). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  setupFiles: ['reflect-metadata'],
  // Generous: a cold ts-jest cache on a loaded 2-core CI machine makes the heavier files several times slower;
  // no test asserts elapsed time through this bound.
  testTimeout: 120000,
};
