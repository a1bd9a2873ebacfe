// The gateway's end-to-end suite: real nginx over TLS, the real authorization server, sidecar and
// service (compiled: `npm run build` first), run from the repository root by scripts/test.mjs:
//   npx ava --config compose/ava.config.mjs
export default {
  files: ['compose/test/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  timeout: '90s',
  workerThreads: false,
  // One file at a time: each runs nginx (and journeys the whole stack) on a two-core machine.
  concurrency: 1,
};
