import type { Pool2dShape } from '../backend/backend.js';
import { record } from '../autograd.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatInputs, pair, result } from './util.js';


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
  const backend = floatInputs('maxPool2d', x);
  const [kh, kw] = pair('maxPool2d', 'kernelSize', kernelSize, 1, 1);
  const [sh, sw] = pair('maxPool2d', 'stride', stride ?? kernelSize, 1, 1);
  const [ph, pw] = pair('maxPool2d', 'padding', padding, 0, 0);
  if (x.ndim !== 4 && x.ndim !== 3) throw new Error(`maxPool2d: expected a 3-D or 4-D input, got shape ${formatShape(x.shape)}`);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new Error(`maxPool2d: padding ${ph}x${pw} should be at most half of the kernel size ${kh}x${kw}`);
  }
  const [h, w] = x.shape.slice(-2) as [number, number];
  const lead = x.shape.slice(0, -2);
  const planes = lead.reduce((a, b) => a * b, 1);
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new Error(`maxPool2d: input ${formatShape(x.shape)} is smaller than the ${kh}x${kw} window`);
  }
  const s: Pool2dShape = { planes, h, w, kh, kw, sh, sw, ph, pw };
  const [yh, idxh] = backend.maxPool2d(x.handle('maxPool2d'), s);
  const y = result(backend, yh, [...lead, oh, ow]);
  const indices = result(backend, idxh, [...lead, oh, ow], 'int32');
  const out = record('MaxPool2dBackward', y, [x], [indices], (g, [idx]) => [
    result(backend, backend.maxPool2dBackward(g.handle('maxPool2d backward'), idx!.handle('maxPool2d backward'), s), x.shape),
  ]);
  // Only the graph needs the indices; it keeps its own reference.
  indices.dispose();
  return out;
}
