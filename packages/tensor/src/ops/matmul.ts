import { record } from '../autograd.js';
import { broadcastShapes, formatShape, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { expand, reshape } from './shape.js';
import { floatInputs, result, sumTo } from './util.js';

/**
 * Batched C = op(A)·op(B) on 3-D operands [batch | 1, rows, cols], with
 * transposes read in place. A batch of 1 broadcasts.
 */
export function bmm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const backend = floatInputs('matmul', a, b);
  const [ba, ra, ca] = a.shape as [number, number, number];
  const [bb, rb, cb] = b.shape as [number, number, number];
  const m = transA ? ca : ra;
  const k = transA ? ra : ca;
  const kb = transB ? cb : rb;
  const n = transB ? rb : cb;
  if (k !== kb || (ba !== bb && ba !== 1 && bb !== 1)) {
    throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied`);
  }
  const batch = Math.max(ba, bb);
  const h = backend.matmul(a.handle('matmul'), b.handle('matmul'), {
    batch,
    m,
    n,
    k,
    transA,
    transB,
    aBatchStride: ba === 1 ? 0 : m * k,
    bBatchStride: bb === 1 ? 0 : k * n,
  });
  return result(backend, h, [batch, m, n]);
}

/**
 * Matrix product with PyTorch's rules: 1-D operands are vectors, 2-D are
 * matrices, and leading dims of N-D operands are broadcast batch dims.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  floatInputs('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(
      `matmul: both arguments need at least 1 dimension, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  }
  const a2 = a.ndim === 1 ? [1, a.shape[0]!] : a.shape.slice(-2);
  const b2 = b.ndim === 1 ? [b.shape[0]!, 1] : b.shape.slice(-2);
  if (a2[1] !== b2[0]) {
    const sa = a.ndim === 1 ? a.shape : a.shape.slice(-2);
    const sb = b.ndim === 1 ? b.shape : b.shape.slice(-2);
    throw new Error(
      `matmul: shapes ${formatShape(sa)} and ${formatShape(sb)} cannot be multiplied (${a2[1]} != ${b2[0]})`,
    );
  }
  const batchA = a.ndim > 2 ? a.shape.slice(0, -2) : [];
  const batchB = b.ndim > 2 ? b.shape.slice(0, -2) : [];
  const batch = broadcastShapes('matmul', batchA, batchB);
  const nb = numel(batch);
  const m = a2[0]!;
  const n = b2[1]!;

  // 3-D views; an operand whose batch differs from the full batch (other
  // than not having one) is expanded first.
  const as3 = (t: Tensor, own: readonly number[], mat: number[]) =>
    numel(own) === nb || numel(own) === 1
      ? reshape(t, [numel(own), ...mat])
      : reshape(expand(reshape(t, [...own, ...mat]), [...batch, ...mat]), [nb, ...mat]);
  const a3 = as3(a, batchA, a2);
  const b3 = as3(b, batchB, b2);
  const c3 = bmm(a3, b3);
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  const y = c3.share(outShape);
  c3.dispose();
  const out = record('MatmulBackward', y, [a3, b3], [a3, b3], (g, [a3, b3], needs) => {
    const g3 = g.reshape([nb, m, n]);
    const ga = needs[0] ? sumTo(bmm(g3, b3!, false, true), a3!.shape) : null;
    const gb = needs[1] ? sumTo(bmm(a3!, g3, true, false), b3!.shape) : null;
    return [ga, gb];
  });
  // The 3-D views were only needed to record the op: the node keeps what it
  // needs, and gradients flow on to a and b through the views' reshape nodes.
  a3.dispose();
  b3.dispose();
  return out;
}

/**
 * x · weightᵀ + bias, like torch.nn.functional.linear: x [..., in], weight
 * [out, in], bias [out]. The bias is added in the matmul kernel's epilogue.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const backend = bias ? floatInputs('linear', x, weight, bias) : floatInputs('linear', x, weight);
  if (weight.ndim !== 2)
    throw new Error(`linear: weight must be 2-D [out, in], got shape ${formatShape(weight.shape)}`);
  const [out, inF] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(
      `linear: input of shape ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} (expected last dim ${inF})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) {
    throw new Error(`linear: bias must have shape [${out}], got ${formatShape(bias.shape)}`);
  }
  const rows = x.size / inF;
  const shape = { batch: 1, m: rows, n: out, k: inF, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
  const h = backend.matmul(x.handle('linear'), weight.handle('linear'), shape, bias ? bias.handle('linear') : null);
  const y = result(backend, h, [...x.shape.slice(0, -1), out]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('LinearBackward', y, inputs, [x, weight], (g, [x, w], needs) => {
    const gh = g.handle('linear backward');
    const dx = needs[0]
      ? result(
          backend,
          backend.matmul(gh, w!.handle('linear backward'), { ...shape, n: inF, k: out, transB: false }),
          x!.shape,
        )
      : null;
    const dw = needs[1]
      ? result(
          backend,
          backend.matmul(gh, x!.handle('linear backward'), {
            ...shape,
            m: out,
            n: inF,
            k: rows,
            transA: true,
            transB: false,
          }),
          [out, inF],
        )
      : null;
    const db = needs[2] ? g.reshape([rows, out]).sum(0) : null;
    return [dx, dw, db];
  });
}
