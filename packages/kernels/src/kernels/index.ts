export { unary, binary, fill, f32Bits, UNARY_OPS, BINARY_OPS, type UnaryOp, type BinaryOp } from './elementwise.js';
export { reduce, type ReduceOp } from './reduce.js';
export { matmul, matmulLabel, defaultMatmulConfig, vec4Allowed, MATMUL_CONFIGS, type MatmulShape, type MatmulConfig } from './matmul.js';
export * from './conv2d.js';
export * from './pool.js';
export * from './cross-entropy.js';
export * from './optimizer.js';
export { softmax } from './softmax.js';
export { numel } from './strided.js';
