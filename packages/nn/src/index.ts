// One import for library users: the whole tensor API, plus modules, layers,
// initialization, losses, optimizers, schedulers and safetensors.
export * from '@pneumo/tensor';
export { Module } from './module.js';
export * from './layers/index.js';
export * as weightInit from './init.js';
export {
  crossEntropy,
  nllLoss,
  mseLoss,
  binaryCrossEntropyWithLogits,
  type CrossEntropyLossOptions,
} from './losses.js';
export * from './optim/index.js';
export {
  parseSafetensors,
  serializeSafetensors,
  floatToHalf,
  halfToFloat,
  quantizeInt8,
  INT8_SCALES,
  type SerializeOptions,
  stateDictToSafetensors,
  safetensorsToStateDict,
  MAX_HEADER_BYTES,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './safetensors.js';
export { summary } from './summary.js';
export * from './training/index.js';
export {
  resnet,
  ResNet,
  BasicBlock,
  checkResNetConfig,
  resnetFeatureSize,
  type ResNetConfig,
  type ResNetOptions,
} from './models/resnet.js';
