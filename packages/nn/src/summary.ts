import { formatShape, noGrad, type Tensor, tidy, zeros } from '@pneumo/tensor';
import type { Module } from './module.js';
import { Sequential } from './layers/sequential.js';

/**
 * A layer table like torchinfo's: each layer of a Sequential with its output
 * shape (from a forward pass on zeros of `inputShape`) and parameter count.
 */
export function summary(model: Module, inputShape: readonly number[]): string {
  const rows: [string, string, number][] = [];
  const layers: [string, Module][] = model instanceof Sequential ? [...model.namedChildren()] : [['', model]];
  noGrad(() =>
    tidy(() => {
      let x: Tensor = zeros(inputShape, { device: model.parameters()[0]?.device });
      for (const [name, layer] of layers) {
        x = layer.forward(x);
        rows.push([
          `${layer.constructor.name}${name ? ` (${name})` : ''}`,
          formatShape(x.shape),
          layer.parameterCount(),
        ]);
      }
    }),
  );
  const w0 = Math.max(20, ...rows.map((r) => r[0].length)) + 2;
  const w1 = Math.max(14, ...rows.map((r) => r[1].length)) + 2;
  const total = model.parameterCount();
  const line = '-'.repeat(w0 + w1 + 14);
  const out = [line, `${'Layer'.padEnd(w0)}${'Output shape'.padEnd(w1)}${'Params'.padStart(12)}`, line];
  for (const [n, s, p] of rows) out.push(`${n.padEnd(w0)}${s.padEnd(w1)}${p.toLocaleString('en-US').padStart(12)}`);
  out.push(line, `Total params: ${total.toLocaleString('en-US')}`, `Input: ${formatShape(inputShape)}`, line);
  return out.join('\n');
}
