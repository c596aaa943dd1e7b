import './methods.js';

export { Tensor } from './tensor.js';
export type { DType, DeviceName, TypedArray } from './dtype.js';
export {
  initWith,
  useGpuContext,
  gpuContext,
  setDefaultDevice,
  getDefaultDevice,
  backendFor,
  type InitOptions,
  type ContextFactory,
} from './backend/registry.js';
export { init } from './init.js';
export type { Backend } from './backend/backend.js';
export { CpuBackend } from './backend/cpu.js';
export { noGrad, isGradEnabled, record, GradNode, type BackwardFn } from './autograd.js';
export { tidy, keep } from './scope.js';
export { memory, type MemoryInfo } from './memory.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export { broadcastShapes, contiguousStrides, formatShape, numel, normalizeDim, type Shape } from './shape.js';
export {
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  rand,
  randn,
  randint,
  arange,
  toDType,
  oneHot,
  type TensorOptions,
  type RandomOptions,
} from './ops/creation.js';
export {
  add,
  sub,
  mul,
  div,
  rsub,
  rdiv,
  neg,
  exp,
  log,
  sqrt,
  abs,
  pow,
  maximum,
  minimum,
  eq,
  gt,
  clone,
} from './ops/elementwise.js';
export { sum, mean, max, argmax, argmin } from './ops/reduce.js';
export { cat, stack, where, gather, indexSelect } from './ops/select.js';
export { reshape, flatten, squeeze, unsqueeze, permute, transpose, expand } from './ops/shape.js';
export { narrow } from './ops/narrow.js';
export { matmul, bmm, linear } from './ops/matmul.js';
export { conv2d, type Conv2dOptions } from './ops/conv.js';
export { maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d } from './ops/pool.js';
export { batchNorm2d, type BatchNormOptions } from './ops/norm.js';
export { crossEntropy, checkLabelRange, type CrossEntropyOptions } from './ops/loss.js';
export { sgdStep, adamStep } from './ops/optim.js';
export { incrementInt32 } from './ops/counter.js';
export type { SgdOptions as SgdStepOptions, AdamOptions as AdamStepOptions } from './backend/backend.js';
export { relu, softmax, logSoftmax, sigmoid, tanh, leakyRelu, clamp, gelu } from './ops/activation.js';
export { floatInputs, pair, result, sumTo } from './ops/util.js';
