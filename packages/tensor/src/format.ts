import type { TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/** PyTorch-like nested rendering of values, eliding the middle of long dimensions. */
export function formatValues(values: TypedArray, shape: Shape, isInt: boolean, edge = 3): string {
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
    const idx = size > 2 * edge + 1 ? [...range(0, edge), -1, ...range(size - edge, size)] : range(0, size);
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
