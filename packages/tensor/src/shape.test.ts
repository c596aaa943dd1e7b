import { describe, expect, it } from 'vitest';
import { broadcastShapes, broadcastStrides, contiguousStrides, inferShape, normalizeDims } from './shape.js';

describe('broadcasting', () => {
  it.each([
    [
      [3, 1],
      [1, 5],
      [3, 5],
    ],
    [[2, 3, 4], [4], [2, 3, 4]],
    [
      [5, 1, 3],
      [2, 1],
      [5, 2, 3],
    ],
    [[], [2, 2], [2, 2]],
    [[1], [0], [0]],
    [
      [7, 1, 1],
      [1, 6, 1],
      [7, 6, 1],
    ],
  ])('%j with %j gives %j', (a, b, out) => {
    expect(broadcastShapes('add', a, b)).toEqual(out);
    expect(broadcastShapes('add', b, a)).toEqual(out);
  });

  it.each([
    [[3], [4]],
    [
      [2, 3],
      [3, 2],
    ],
    [
      [5, 4],
      [2, 1, 3],
    ],
  ])('%j and %j are incompatible', (a, b) => {
    expect(() => broadcastShapes('mul', a, b)).toThrow(
      `mul: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together`,
    );
  });

  it('strides read broadcast dims with stride 0', () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([3, 1], [2, 3, 5])).toEqual([0, 1, 0]);
    expect(broadcastStrides([4], [2, 3, 4])).toEqual([0, 0, 1]);
  });

  it('reshape inference and its errors', () => {
    expect(inferShape('reshape', [6, 4], [3, -1])).toEqual([3, 8]);
    expect(inferShape('reshape', [0, 4], [-1, 2])).toEqual([0, 2]);
    expect(() => inferShape('reshape', [6, 4], [5, -1])).toThrow(
      'reshape: shape [5, -1] is invalid for input of size 24',
    );
    expect(() => inferShape('reshape', [6], [-1, -1])).toThrow('only one dimension can be -1');
  });

  it('dims normalize, sort and reject repeats or out-of-range', () => {
    expect(normalizeDims('sum', [-1, 0], 3)).toEqual([0, 2]);
    expect(() => normalizeDims('sum', [1, -2], 3)).toThrow('repeated dimension');
    expect(() => normalizeDims('sum', 3, 3)).toThrow('sum: dimension 3 out of range for a tensor of rank 3');
  });
});
