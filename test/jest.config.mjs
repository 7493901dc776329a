// One jest configuration for the whole workspace. Tests run TypeScript straight from source:
// @swc/jest strips types (type-checking is `pnpm typecheck`, tsc), and the "@wabulk/source" export
// condition makes `@wabulk/*` imports resolve to each package's src/index.ts, so no build is needed.
import { fileURLToPath } from 'node:url';

const rootDir = fileURLToPath(new URL('..', import.meta.url));

const shared = {
  rootDir,
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironmentOptions: { customExportConditions: ['@wabulk/source', 'node', 'require', 'default'] },
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // p-limit and its dependency, cookie (light-my-request, behind fastify's inject) and content-disposition
  // (@fastify/static, behind @fastify/swagger-ui) ship ESM only: transform them like our own source.
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/)?(p-limit|yocto-queue|cookie|content-disposition)[@/])'],
};

export default {
  rootDir,
  testTimeout: 60_000,
  // A jest process keeps something of every suite it ran (their module registries stay reachable):
  // run in band, its heap passed 1.4 GB by the last suites, and a suite that works in-process
  // (archive-crash: 100k-row ledgers and exports) took 221 s instead of 88 s, most of it in GC.
  // `npm test` runs the suites one at a time in a worker (--maxWorkers=1), replaced once a suite
  // leaves its heap above this (no effect with --runInBand).
  workerIdleMemoryLimit: '512MB',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/packages/*/src/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
};
