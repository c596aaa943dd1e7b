export {
  unary,
  binary,
  fill,
  f32Bits,
  cast,
  addInt32InPlace,
  UNARY_OPS,
  BINARY_OPS,
  type UnaryOp,
  type BinaryOp,
} from './elementwise.js';
export { reduce, type ReduceOp, argReduce, type ArgReduceOp } from './reduce.js';
export {
  matmul,
  matmulLabel,
  defaultMatmulConfig,
  vec4Allowed,
  matmulTileFits,
  matmulConfigsFor,
  MATMUL_CONFIGS,
  type MatmulShape,
  type MatmulConfig,
} from './matmul.js';
export * from './conv2d.js';
export { CONV_ROWS_TILES, type ConvRowsTile } from './conv2d-rows.js';
export { CONV_ROWS_CO_TILES, type ConvRowsCoTile } from './conv2d-rows-co.js';
export { conv2dWinograd, WINOGRAD_TILES, type WinogradTile } from './conv2d-winograd.js';
export { conv2dWinograd4, WINOGRAD4_TILES } from './conv2d-winograd4.js';
export { conv2dWeightGradWinograd, WINOGRAD_WEIGHT_TILES } from './conv2d-weight-winograd.js';
export { conv2dWeightGradWinograd4, WINOGRAD4_WEIGHT_TILES } from './conv2d-weight-winograd4.js';
export { WEIGHT_ROWS_TILES, type WeightRowsTile } from './conv2d-weight-rows.js';
export type { RowsFamily, WeightGradFamily } from './conv2d-family.js';
export type { WeightCoTile } from './conv2d-weight-co.js';
export type { WeightUniformTile } from './conv2d-weight-uniform.js';
export type { Stride1Pass, WeightGradPass } from './conv2d-row-loads.js';
export type { ConvRowsGeometry, DilatedInput } from './conv2d-rows.js';
export * from './pool.js';
export * from './cross-entropy.js';
export * from './optimizer.js';
export { softmax } from './softmax.js';
export { numel } from './strided.js';
export * from './tuned.js';
export { gather, gatherBackward, type GatherShape } from './gather.js';
export { windowOutSize, type Window2d } from './window.js';
export {
  batchNormStats,
  batchNormApply,
  batchNormBackward,
  batchNormRunning,
  type BatchNormShape,
} from './batchnorm.js';
