/**
 * Joining and choosing: cat, stack, where, gather and indexSelect. Each copies or selects
 * values without arithmetic on the ones it leaves out, so an infinity or a
 * NaN stays where it was (a 0/1-matrix product would spread it as NaN).
 */
import { noGrad, record } from '../autograd.js';
import { formatShape, normalizeDim, numel, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { applyBinary } from './elementwise.js';
import { narrow } from './narrow.js';
import { transpose, unsqueeze } from './shape.js';
import { floatInputs, result, sumTo } from './util.js';

/**
 * Concatenates tensors along `dim` (torch.cat): every shape equal except
 * along `dim`. float32, or int32 along dim 0. The gradient of each input is
 * its slice of the output's.
 */
export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  const first = xs[0]!;
  const d = normalizeDim('cat', dim, first.ndim);
  const backend = first.dtype === 'int32' && d === 0 ? intInputs('cat', xs) : floatInputs('cat', ...xs);
  xs.forEach((x: Tensor, i: number) => {
    const same = x.ndim === first.ndim && x.shape.every((s: number, k: number) => k === d || s === first.shape[k]);
    if (!same)
      throw new Error(
        `cat: tensor ${i} has shape ${formatShape(x.shape)}, expected ${formatShape(first.shape.map((s: number, k: number) => (k === d ? (x.shape[k] ?? s) : s)))} (equal except in dimension ${d})`,
      );
  });
  const lengths = xs.map((x) => x.shape[d]!);
  const shape = first.shape.map((s: number, k: number) => (k === d ? lengths.reduce((a, b) => a + b, 0) : s));
  // Along dim 0 the buffers simply follow each other; otherwise move dim to the front and back.
  const y = noGrad(() => {
    const moved = d === 0 ? xs : xs.map((x) => transpose(x, 0, d));
    const joined = result(
      backend,
      backend.concat(
        moved.map((m) => m.handle('cat')),
        moved.map((m) => m.size),
      ),
      [shape[d]!, ...moved[0]!.shape.slice(1)],
      first.dtype,
    );
    if (d === 0) return joined;
    for (const m of moved) m.dispose();
    const back = transpose(joined, 0, d);
    joined.dispose();
    return back;
  });
  if (first.dtype !== 'float32') return y;
  const starts = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  return record('CatBackward', y, [...xs], [], (g) => starts.map((s, i) => narrow(g, d, s, lengths[i]!)));
}

function intInputs(op: string, xs: readonly Tensor[]) {
  for (const x of xs) {
    x.storageFor(op);
    if (x.dtype !== 'int32') throw new Error(`${op}: expected all tensors int32 like the first, got ${x.dtype}`);
  }
  if (new Set(xs.map((x) => x.device)).size > 1) throw new Error(`${op}: expected all tensors on the same device`);
  return xs[0]!.storage.backend;
}

/** Stacks equal-shaped tensors along a new dimension `dim` (torch.stack). */
export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  const first = xs[0]!;
  xs.forEach((x: Tensor, i: number) => {
    if (!sameShape(x.shape, first.shape))
      throw new Error(
        `stack: tensor ${i} has shape ${formatShape(x.shape)}, expected ${formatShape(first.shape)} like tensor 0`,
      );
  });
  const d = normalizeDim('stack', dim, first.ndim + 1);
  const lifted = xs.map((x) => unsqueeze(x, d));
  const y = cat(lifted, d);
  for (const l of lifted) l.dispose();
  return y;
}

/**
 * `a` where `condition` is non-zero, else `b` (torch.where), all three
 * broadcast together; `condition` is a float32 mask (e.g. from gt or eq).
 * A value not chosen never reaches the result, so it may be inf or NaN.
 * (One difference from PyTorch: a chosen -0 comes out as +0.)
 */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  floatInputs('where', condition, a, b);
  const y = noGrad(() => {
    const fromA = applyBinary('where', 'keep_if', condition, a);
    const fromB = applyBinary('where', 'keep_unless', condition, b);
    const sum = fromA.add(fromB);
    fromA.dispose();
    fromB.dispose();
    return sum;
  });
  return record('WhereBackward', y, [a, b], [condition], (g, [c]) => [
    sumTo(applyBinary('where backward', 'keep_if', c!, g), a.shape),
    sumTo(applyBinary('where backward', 'keep_unless', c!, g), b.shape),
  ]);
}

/** Refuses indices known (from their upload) to fall outside [0, size). */
function checkIndices(op: string, index: Tensor, size: number): void {
  if (index.dtype !== 'int32') throw new Error(`${op}: the index must be int32, got ${index.dtype}`);
  const storage = index.storageFor(op);
  const range = storage.intRange;
  if (!range || storage.size !== index.size || index.size === 0) return;
  const bad = range[0] < 0 ? range[0] : range[1] >= size ? range[1] : null;
  if (bad !== null) throw new Error(`${op}: index ${bad} is out of range for a dimension of size ${size}`);
}

function gatherOp(op: string, x: Tensor, d: number, index: Tensor, shared: boolean, outShape: number[]): Tensor {
  // Labels and other integers gather too (a copy of 32-bit words); they carry no gradient.
  const integer = x?.dtype === 'int32';
  const backend = integer ? x.storageFor(op).backend : floatInputs(op, x);
  if (index.device !== x.device) throw new Error(`${op}: the index is on ${index.device}, the input on ${x.device}`);
  checkIndices(op, index, x.shape[d]!);
  const s = {
    outer: numel(x.shape.slice(0, d)),
    size: x.shape[d]!,
    count: outShape[d]!,
    inner: numel(x.shape.slice(d + 1)),
    shared,
  };
  if (integer) return result(backend, backend.gather(x.handle(op), index.handle(op), s), outShape, 'int32');
  const y = result(backend, backend.gather(x.handle(op), index.handle(op), s), outShape);
  return record(`${op === 'gather' ? 'Gather' : 'IndexSelect'}Backward`, y, [x], [index], (g, [idx]) => [
    result(backend, backend.gatherBackward(g.handle(`${op} backward`), idx!.handle(`${op} backward`), s), x.shape),
  ]);
}

/**
 * torch.gather: out[..., j, ...] = x[..., index[..., j, ...], ...] along
 * `dim`; `index` (int32) has x's shape except along `dim` (PyTorch also
 * allows it smaller in the other dimensions; here they must match). The
 * gradient adds each output's gradient to the element it came from. An
 * int32 x gathers too (no gradient).
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((s: number, k: number) => k !== d && s !== x.shape[k])) {
    throw new Error(
      `gather: index of shape ${formatShape(index.shape)} must match the input ${formatShape(x.shape)} except in dimension ${d}`,
    );
  }
  return gatherOp('gather', x, d, index, false, [...index.shape]);
}

/** torch.index_select: the slices of x (float32 or int32) along `dim` at the int32 indices of the 1-D `index`, in order (repeats allowed). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim('indexSelect', dim, x.ndim);
  if (index.ndim !== 1) throw new Error(`indexSelect: the index must be 1-D, got shape ${formatShape(index.shape)}`);
  return gatherOp(
    'indexSelect',
    x,
    d,
    index,
    true,
    x.shape.map((s: number, k: number) => (k === d ? index.size : s)),
  );
}
