/** The shared test helpers, imported as `@pneumo/test-support` from any package's tests (an alias of vitest.config.ts and tsconfig.test.json). */
export * from './webgpu.js';
export * from './compare.js';
export * from './fixtures.js';
export * from './checkpoint-info.js';
export * from './hostile-files.js';
export * from './blog-cnn.js';
