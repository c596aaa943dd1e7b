export { Linear } from './linear.js';
export { Conv2d } from './conv2d.js';
export { ReLU, Sigmoid, Tanh, GELU, LeakyReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten } from './simple.js';
export { Sequential } from './sequential.js';
export { Dropout } from './dropout.js';
export { BatchNorm2d } from './batchnorm.js';
export type { LayerOptions } from './options.js';
