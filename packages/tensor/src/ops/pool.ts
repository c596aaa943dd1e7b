import { poolOutSize } from '@pneumo/kernels';
import type { Pool2dShape } from '../backend/backend.js';
import { record } from '../autograd.js';
import { tidy } from '../scope.js';
import { formatShape, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { conv2d } from './conv.js';
import { full, tensor } from './creation.js';
import { matmul } from './matmul.js';
import { mean } from './reduce.js';
import { floatInputs, pair, result } from './util.js';

/** The checked geometry of a 2-D pooling window over x's last two dimensions (one home for the output size: poolOutSize). */
function poolGeometry(
  op: string,
  x: Tensor,
  kernelSize: number | [number, number],
  stride: number | [number, number] | undefined,
  padding: number | [number, number],
): Pool2dShape & { lead: number[]; oh: number; ow: number } {
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1, 1);
  const [sh, sw] = pair(op, 'stride', stride ?? kernelSize, 1, 1);
  const [ph, pw] = pair(op, 'padding', padding, 0, 0);
  if (x.ndim !== 4 && x.ndim !== 3)
    throw new Error(`${op}: expected a 3-D or 4-D input, got shape ${formatShape(x.shape)}`);
  if (2 * ph > kh || 2 * pw > kw)
    throw new Error(`${op}: padding ${ph}x${pw} should be at most half of the kernel size ${kh}x${kw}`);
  const [h, w] = x.shape.slice(-2) as [number, number];
  const lead = x.shape.slice(0, -2);
  const s: Pool2dShape = { planes: numel(lead), h, w, kh, kw, sh, sw, ph, pw };
  const { oh, ow } = poolOutSize(s);
  if (oh <= 0 || ow <= 0)
    throw new Error(`${op}: input ${formatShape(x.shape)} is smaller than the ${kh}x${kw} window`);
  return { ...s, lead, oh, ow };
}

/**
 * 2-D max pooling over [n, c, h, w] (or [c, h, w]), like
 * torch.nn.functional.max_pool2d: padding counts as -inf, ties go to the
 * first maximum in the window, overlapping windows add their gradients.
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: number | [number, number],
  stride?: number | [number, number],
  padding: number | [number, number] = 0,
): Tensor {
  return maxPool(x, kernelSize, stride, padding, false).output;
}

/**
 * max_pool2d with PyTorch's return_indices: the output and, per output
 * element, the flat index (row * w + column) of its maximum in the input
 * plane, int32 (what max_unpool2d takes).
 */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: number | [number, number],
  stride?: number | [number, number],
  padding: number | [number, number] = 0,
): { output: Tensor; indices: Tensor } {
  const r = maxPool(x, kernelSize, stride, padding, true);
  return { output: r.output, indices: r.indices! };
}

function maxPool(
  x: Tensor,
  kernelSize: number | [number, number],
  stride: number | [number, number] | undefined,
  padding: number | [number, number],
  keepIndices: boolean,
): { output: Tensor; indices: Tensor | null } {
  const backend = floatInputs('maxPool2d', x);
  const { lead, oh, ow, ...s } = poolGeometry('maxPool2d', x, kernelSize, stride, padding);
  const [yh, idxh] = backend.maxPool2d(x.handle('maxPool2d'), s);
  const y = result(backend, yh, [...lead, oh, ow]);
  const indices = result(backend, idxh, [...lead, oh, ow], 'int32');
  const out = record('MaxPool2dBackward', y, [x], [indices], (g, [idx]) => [
    result(
      backend,
      backend.maxPool2dBackward(g.handle('maxPool2d backward'), idx!.handle('maxPool2d backward'), s),
      x.shape,
    ),
  ]);
  if (keepIndices) return { output: out, indices };
  // Only the graph needs the indices; it keeps its own reference.
  indices.dispose();
  return { output: out, indices: null };
}

/**
 * 2-D average pooling, like torch.nn.functional.avg_pool2d: padding counts
 * as zeros in the average (countIncludePad, PyTorch's default) or is left
 * out of it. Computed as a convolution of each plane with a constant
 * window, so its gradient is the convolution's input gradient.
 */
export function avgPool2d(
  x: Tensor,
  kernelSize: number | [number, number],
  stride?: number | [number, number],
  padding: number | [number, number] = 0,
  options: { countIncludePad?: boolean } = {},
): Tensor {
  floatInputs('avgPool2d', x);
  const g = poolGeometry('avgPool2d', x, kernelSize, stride, padding);
  const conv = { stride: [g.sh, g.sw] as [number, number], padding: [g.ph, g.pw] as [number, number] };
  return tidy(() => {
    const planes = x.reshape([g.planes, 1, g.h, g.w]);
    const include = options.countIncludePad ?? true;
    const window = full([1, 1, g.kh, g.kw], include ? 1 / (g.kh * g.kw) : 1, { device: x.device });
    let y = conv2d(planes, window, null, conv);
    if (!include && (g.ph > 0 || g.pw > 0)) {
      // Divide by how many real (not padding) elements each window covers.
      const counts = conv2d(
        full([1, 1, g.h, g.w], 1, { device: x.device }),
        full([1, 1, g.kh, g.kw], 1, { device: x.device }),
        null,
        conv,
      );
      y = y.div(counts);
    } else if (!include) {
      y = y.div(g.kh * g.kw);
    }
    return y.reshape([...g.lead, g.oh, g.ow]);
  });
}

/** PyTorch's adaptive pooling windows: output i averages input start(i) .. end(i) - 1. */
function adaptiveWindows(size: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
}

/**
 * torch.nn.functional.adaptive_avg_pool2d: averages over PyTorch's windows
 * for an [oh, ow] output. Where the size divides evenly it is avgPool2d;
 * otherwise the windows are applied as two averaging matrices (rows, then
 * columns), whose zeros meet every input: a non-finite input then spreads
 * NaN along its row and column band, where PyTorch keeps it in its windows.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  floatInputs('adaptiveAvgPool2d', x);
  const [oh, ow] = pair('adaptiveAvgPool2d', 'outputSize', outputSize, 1, 1);
  if (x.ndim !== 4 && x.ndim !== 3)
    throw new Error(`adaptiveAvgPool2d: expected a 3-D or 4-D input, got shape ${formatShape(x.shape)}`);
  const [h, w] = x.shape.slice(-2) as [number, number];
  // Global pooling (a ResNet's head) is a mean over the plane: one reduction, not a convolution per plane.
  if (oh === 1 && ow === 1) return mean(x, [-2, -1], true);
  if (h % oh === 0 && w % ow === 0) return avgPool2d(x, [h / oh, w / ow]);
  const averaging = (size: number, out: number) => {
    const m = new Float32Array(out * size);
    adaptiveWindows(size, out).forEach(([a, b], i) => {
      for (let j = a; j < b; j++) m[i * size + j] = 1 / (b - a);
    });
    return tensor(m, { shape: [out, size], device: x.device });
  };
  return tidy(() => {
    const rows = averaging(h, oh);
    const cols = averaging(w, ow);
    // [.., oh, h] x [.., h, w] -> [.., oh, w]; then x colsᵀ -> [.., oh, ow].
    return matmul(matmul(rows, x), cols.transpose(0, 1));
  });
}
