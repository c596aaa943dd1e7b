import type { CheckpointInfo } from '../../packages/pneumonia/src/checkpoint-format.js';

/** A complete checkpoint description for tests (three classes, the blog's 10-output head), with overrides. */
export function testCheckpointInfo(over: Partial<CheckpointInfo> = {}): CheckpointInfo {
  return {
    format: 'pneumo-checkpoint',
    version: 1,
    architecture: 'blog-cnn',
    outputs: 10,
    mode: 'three-class',
    classes: ['NORMAL', 'BACTERIA', 'VIRUS'],
    inputSize: 32,
    fit: 'stretch',
    normalization: { mean: 0.4, std: 0.2 },
    epoch: 0,
    metrics: {},
    history: [],
    ...over,
  };
}
