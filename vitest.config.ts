import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, so no build step is needed
    // between an edit and a test run.
    alias: [
      { find: /^@pneumo\/kernels\/node$/, replacement: src('kernels', 'node.ts') },
      { find: /^@pneumo\/kernels\/browser$/, replacement: src('kernels', 'browser.ts') },
      { find: /^@pneumo\/tensor\/node$/, replacement: src('tensor', 'node.ts') },
      { find: /^@pneumo\/kernels$/, replacement: src('kernels') },
      { find: /^@pneumo\/tensor$/, replacement: src('tensor') },
      { find: /^@pneumo\/nn\/node$/, replacement: src('nn', 'node.ts') },
      { find: /^@pneumo\/nn$/, replacement: src('nn') },
      { find: /^@pneumo\/pneumonia$/, replacement: src('pneumonia') },
      {
        find: /^@pneumo\/test-support\/compare$/,
        replacement: fileURLToPath(new URL('./test/support/compare.ts', import.meta.url)),
      },
      {
        find: /^@pneumo\/test-support$/,
        replacement: fileURLToPath(new URL('./test/support/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Software adapters already use every core for one dispatch; test files
    // running side by side would only fight over them.
    fileParallelism: false,
    globalSetup: ['test/support/scratch-tmpdir.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tuning is exercised by its own test; elsewhere the default variants run
    // (every variant is checked by packages/kernels/src/kernels/variants.test.ts).
    env: { PNEUMO_QUIET: '0', PNEUMO_TUNE: '0' },
  },
});
