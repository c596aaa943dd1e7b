import { windowOutSize } from '@pneumo/kernels';
import type { Conv2dShape } from '../backend/backend.js';
import { record } from '../autograd.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatInputs, pair, result } from './util.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/**
 * 2-D convolution, NCHW input [n, ci, h, w], OIHW weight [co, ci, kh, kw],
 * optional bias [co] (dilation 1, groups 1), like torch.nn.functional.conv2d.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const backend = bias ? floatInputs('conv2d', x, weight, bias) : floatInputs('conv2d', x, weight);
  const [sh, sw] = pair('conv2d', 'stride', options.stride, 1, 1);
  const [ph, pw] = pair('conv2d', 'padding', options.padding, 0, 0);
  if (x.ndim !== 4) throw new Error(`conv2d: expected a 4-D input [N, C, H, W], got shape ${formatShape(x.shape)}`);
  if (weight.ndim !== 4)
    throw new Error(`conv2d: expected a 4-D weight [out, in, kH, kW], got shape ${formatShape(weight.shape)}`);
  const [n, ci, h, w] = x.shape as [number, number, number, number];
  const [co, wci, kh, kw] = weight.shape as [number, number, number, number];
  if (wci !== ci) {
    throw new Error(
      `conv2d: input ${formatShape(x.shape)} has ${ci} channels but weight ${formatShape(weight.shape)} expects ${wci}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== co)) {
    throw new Error(`conv2d: bias must have shape [${co}], got ${formatShape(bias.shape)}`);
  }
  const s: Conv2dShape = { n, ci, h, w, co, kh, kw, sh, sw, ph, pw };
  const { oh, ow } = windowOutSize({ h, w, kh, kw, sh, sw, ph, pw });
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `conv2d: input ${formatShape(x.shape)} with padding ${ph}x${pw} is smaller than the ${kh}x${kw} kernel`,
    );
  }
  const y = result(
    backend,
    backend.conv2d(x.handle('conv2d'), weight.handle('conv2d'), bias ? bias.handle('conv2d') : null, s),
    [n, co, oh, ow],
  );
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('Conv2dBackward', y, inputs, [x, weight], (g, [x, wt], needs) => {
    const gh = g.handle('conv2d backward');
    return [
      needs[0] ? result(backend, backend.conv2dInputGrad(gh, wt!.handle('conv2d backward'), s), x!.shape) : null,
      needs[1] ? result(backend, backend.conv2dWeightGrad(x!.handle('conv2d backward'), gh, s), wt!.shape) : null,
      needs[2] ? g.sum([0, 2, 3]) : null,
    ];
  });
}
