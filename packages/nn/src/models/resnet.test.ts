/**
 * resnet()'s construction: torchvision's layout and names for both stems,
 * the sizes it refuses, and the input it refuses (the numbers against
 * PyTorch are in test/resnet-pytorch.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { memory, noGrad, randn, resnet, resnetFeatureSize } from '../index.js';

describe('resnet()', () => {
  it('builds torchvision’s resnet18 layout and names with the imagenet stem (11,689,512 parameters with 1000 classes)', () => {
    const m = resnet(
      { widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2], classes: 1000, inputSize: 224, stem: 'imagenet' },
      { device: 'cpu' },
    );
    expect(m.parameterCount()).toBe(11_689_512);
    const keys = [...m.stateDict().keys()];
    expect(keys.slice(0, 7)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
      'layer1.0.conv1.weight',
    ]);
    expect(keys).toContain('layer4.0.downsample.1.running_var');
    expect(keys).not.toContain('layer1.0.downsample.0.weight');
    expect(keys.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    expect(resnetFeatureSize(m.config)).toBe(7);
    m.dispose();
  });

  it('gives logits of the configured classes for a small-stem network, and refuses other input sizes', () => {
    const m = resnet({ widths: [4, 8, 8], blocks: [1, 1, 1], classes: 3, inputSize: 24 }, { device: 'cpu' });
    expect(resnetFeatureSize(m.config)).toBe(6);
    const y = noGrad(() => m.eval().forward(randn([2, 3, 24, 24], { device: 'cpu' })));
    expect(y.shape).toEqual([2, 3]);
    expect(() => m.forward(randn([2, 3, 32, 32], { device: 'cpu' }))).toThrow(
      /expected input \[N, 3, 24, 24\], got \[2, 3, 32, 32\]/,
    );
    expect(() => m.forward(randn([2, 1, 24, 24], { device: 'cpu' }))).toThrow(/expected input \[N, 3, 24, 24\]/);
  });

  it('leaves no tensor behind once built, loaded and disposed', () => {
    const before = memory().tensors;
    const a = resnet({ widths: [4, 8], blocks: [1, 1], classes: 3, inputSize: 16 }, { device: 'cpu' });
    const b = resnet({ widths: [4, 8], blocks: [1, 1], classes: 3, inputSize: 16 }, { device: 'cpu' });
    b.loadStateDict(a.stateDict());
    a.dispose();
    b.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('refuses configurations that cannot be built, naming the field', () => {
    const base = { widths: [8, 16], blocks: [1, 1], classes: 3, inputSize: 32 };
    expect(() => resnet({ ...base, blocks: [1] })).toThrow(/blocks must give a count for each of the 2 stages/);
    expect(() => resnet({ ...base, widths: [8, 0] })).toThrow(/widths\[1\] must be a positive integer/);
    expect(() => resnet({ ...base, classes: 2.5 })).toThrow(/classes must be a positive integer/);
    expect(() => resnet({ ...base, widths: [], blocks: [] })).toThrow(/at least one stage/);
    expect(() => resnet({ ...base, stem: 'big' as 'small' })).toThrow(/stem must be 'small' or 'imagenet'/);
    expect(() => resnet({ ...base, inputSize: 0 })).toThrow(/inputSize must be a positive integer/);
  });
});
