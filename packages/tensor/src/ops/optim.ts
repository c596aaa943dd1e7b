import type { AdamOptions, SgdOptions } from '../backend/backend.js';
import { formatShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatInputs } from './util.js';

function checkState(op: string, param: Tensor, others: Tensor[]): void {
  floatInputs(op, param, ...others);
  for (const t of others) {
    if (!sameShape(t.shape, param.shape)) {
      throw new Error(
        `${op}: state of shape ${formatShape(t.shape)} for a parameter of shape ${formatShape(param.shape)}`,
      );
    }
  }
}

/** PyTorch's SGD update, in place on `param` and `momentumBuffer` (null without momentum; no autograd). */
export function sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, options: SgdOptions): void {
  checkState('sgdStep', param, momentumBuffer ? [grad, momentumBuffer] : [grad]);
  if (!momentumBuffer && options.momentum !== 0) throw new Error('sgdStep: momentum needs a momentum buffer');
  param.storage.backend.sgdStep(
    param.handle('sgdStep'),
    grad.handle('sgdStep'),
    momentumBuffer ? momentumBuffer.handle('sgdStep') : null,
    param.size,
    options,
  );
}

/** PyTorch's Adam / AdamW update, in place on `param`, `m` and `v` (no autograd). */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, options: AdamOptions): void {
  checkState('adamStep', param, [grad, m, v]);
  if (!(options.step >= 1)) throw new Error(`adamStep: step must be >= 1, got ${options.step}`);
  param.storage.backend.adamStep(
    param.handle('adamStep'),
    grad.handle('adamStep'),
    m.handle('adamStep'),
    v.handle('adamStep'),
    param.size,
    options,
  );
}
