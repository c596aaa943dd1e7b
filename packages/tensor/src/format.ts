import type { TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/**
 * PyTorch-like nested rendering of values. As in PyTorch (threshold 1000,
 * edgeitems 3), a tensor of more than `threshold` elements is summarized:
 * each dimension longer than 2·edge shows its first and last `edge` entries
 * around '...'; smaller tensors are shown whole.
 */
export function formatValues(values: TypedArray, shape: Shape, isInt: boolean, edge = 3, threshold = 1000): string {
  const summarize = shape.reduce((a, b) => a * b, 1) > threshold;
  const fmt = (v: number) => {
    if (isInt) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (Number.isInteger(v) && Math.abs(v) < 1e8) return `${v}.`;
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-4 || a >= 1e8) ? v.toExponential(4) : String(Number(v.toPrecision(5)));
  };
  if (shape.length === 0) return fmt(values[0]!);
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const render = (dim: number, offset: number, indent: string): string => {
    const size = shape[dim]!;
    const idx = summarize && size > 2 * edge ? [...range(0, edge), -1, ...range(size - edge, size)] : range(0, size);
    if (dim === shape.length - 1) {
      return `[${idx.map((i) => (i < 0 ? '...' : fmt(values[offset + i]!))).join(', ')}]`;
    }
    const inner = idx.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim]!, `${indent} `)));
    const sep = `,${'\n'.repeat(shape.length - dim - 1)}${indent} `;
    return `[${inner.join(sep)}]`;
  };
  return render(0, 0, '');
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
}
