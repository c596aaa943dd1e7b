import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { arange, matmul, ones, randint, tensor, zeros } from '../index.js';

beforeAll(requireWebGpu);

describe('bad inputs fail with the op and the shapes, PyTorch style', () => {
  it('matmul with mismatched inner dims', () => {
    const a = zeros([4, 4096]);
    const b = zeros([1024, 512]);
    expect(() => a.matmul(b)).toThrow('matmul: shapes [4, 4096] and [1024, 512] cannot be multiplied');
    expect(() => matmul(zeros([]), b)).toThrow('matmul: both arguments need at least 1 dimension');
    a.dispose();
    b.dispose();
  });

  it('elementwise ops with shapes that do not broadcast', () => {
    const a = ones([2, 3]);
    const b = ones([4]);
    expect(() => a.add(b)).toThrow('add: shapes [2, 3] and [4] cannot be broadcast together');
    expect(() => a.div(b)).toThrow('div: shapes [2, 3] and [4] cannot be broadcast together');
    a.dispose();
    b.dispose();
  });

  it('int32 tensors in float ops', () => {
    const labels = randint(0, 3, [5]);
    expect(labels.dtype).toBe('int32');
    const x = ones([5]);
    expect(() => x.add(labels)).toThrow('add: expected float32 tensors, got int32 of shape [5]');
    expect(() => labels.exp()).toThrow('exp: expected float32 tensors, got int32');
    expect(() => (labels.requiresGrad = true)).toThrow('only float32 tensors can require gradients');
    labels.dispose();
    x.dispose();
  });

  it('tensors on different devices', () => {
    const a = ones([2], { device: 'cpu' });
    const b = ones([2], { device: 'webgpu' });
    expect(() => a.mul(b)).toThrow('mul: expected all tensors on the same device, got cpu and webgpu');
    a.dispose();
    b.dispose();
  });

  it('using a disposed tensor', () => {
    const a = ones([2, 2]);
    a.dispose();
    expect(() => a.relu()).toThrow('relu: tensor of shape [2, 2] was disposed');
    expect(a.toString()).toBe('Tensor(shape=[2, 2], disposed)');
  });

  it('bad shapes and arguments', async () => {
    expect(() => zeros([2, -1])).toThrow('full: invalid shape [2, -1]');
    expect(() => tensor([[1, 2], [3]])).toThrow('ragged nested array');
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: shape [2, 2] needs 4 values, got 3');
    const x = arange(6).reshape([2, 3]);
    expect(() => x.permute([0, 0])).toThrow('permute: repeated dim');
    expect(() => x.permute([0])).toThrow('permute: got 1 dims (0) for a tensor of shape [2, 3]');
    expect(() => x.expand([4, 3])).toThrow('expand: cannot expand shape [2, 3] to [4, 3]');
    expect(() => x.sum(2)).toThrow('sum: dimension 2 out of range for a tensor of rank 2');
    expect(() => x.softmax(5)).toThrow('softmax: dimension 5 out of range');
    await expect(x.item()).rejects.toThrow(
      'item: only one-element tensors can be converted to a number, got shape [2, 3]',
    );
    expect(() => x.flatten(1, 0)).toThrow('flatten: startDim 1 comes after endDim 0');
    x.dispose();
  });

  it('formats values like PyTorch', async () => {
    const x = tensor(
      [
        [1, 2.5],
        [-3, 0.125],
      ],
      { device: 'cpu' },
    );
    expect(await x.format()).toBe('tensor([[1., 2.5],\n        [-3., 0.125]])');
    const y = arange(3, undefined, 1, { device: 'webgpu', dtype: 'int32' });
    expect(await y.format()).toBe("tensor([0, 1, 2], device='webgpu', dtype=int32)");
    expect(y.toString()).toBe('Tensor(shape=[3], dtype=int32, device=webgpu)');
    // PyTorch's threshold: up to 1000 elements every value shows (an 8x5 gradient in full)...
    const whole = arange(40, undefined, 1, { device: 'cpu', dtype: 'int32' }).reshape([8, 5]);
    const text = await whole.format();
    expect(text).not.toContain('...');
    expect(text).toContain('[35, 36, 37, 38, 39]');
    // ...above it, each dimension longer than 6 shows 3 entries at each end.
    const big = arange(1001, undefined, 1, { device: 'cpu', dtype: 'int32' });
    expect(await big.format()).toBe('tensor([0, 1, 2, ..., 998, 999, 1000], dtype=int32)');
    x.dispose();
    y.dispose();
    whole.dispose();
    big.dispose();
  });
});
