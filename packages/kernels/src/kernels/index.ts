export { unary, binary, fill, f32Bits, UNARY_OPS, BINARY_OPS, type UnaryOp, type BinaryOp } from './elementwise.js';
export { reduce, type ReduceOp } from './reduce.js';
export { matmul, type MatmulShape } from './matmul.js';
export { softmax } from './softmax.js';
export { numel } from './strided.js';
