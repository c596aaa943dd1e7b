import { keep, tidy } from './scope.js';
import type { Tensor } from './tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording operations for autograd (like torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Where a node sends the gradient of one input. */
type Edge = { node: GradNode } | { leaf: Tensor } | null;

/** Computes the gradient of each input from the gradient of the output; null where not needed. */
export type BackwardFn = (grad: Tensor, saved: Tensor[], needs: boolean[]) => (Tensor | null)[];
// Returned gradients must be tensors of their own (use `grad.share()` to pass
// the incoming gradient through unchanged): the engine disposes `grad`.

/**
 * One recorded operation. Holds the tensors its backward needs (`saved`,
 * sharing storage with the originals so the originals may be disposed) and
 * is reference-counted by the tensors and nodes that point at it: when the
 * last one lets go, or backward has run through it, its saved tensors are
 * freed.
 */
export class GradNode {
  private refs = 1;
  private freed = false;
  readonly needs: boolean[];

  constructor(
    readonly name: string,
    readonly edges: Edge[],
    readonly saved: Tensor[],
    readonly backwardFn: BackwardFn,
  ) {
    this.needs = edges.map((e) => e !== null);
    for (const e of edges) if (e && 'node' in e) e.node.refs++;
  }

  get released(): boolean {
    return this.freed;
  }

  unref(): void {
    if (--this.refs === 0) this.releaseAll();
  }

  /** Frees what backward needed; the graph above stays linked for other paths. */
  releaseSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t.dispose();
  }

  private releaseAll(): void {
    this.releaseSaved();
    for (const e of this.edges) if (e && 'node' in e) e.node.unref();
  }
}

/**
 * Records `out` as the result of an op on `inputs`, if any input needs a
 * gradient and recording is on. `saved` are the tensors the backward reads.
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: BackwardFn,
): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return out;
  const edges: Edge[] = inputs.map((t) => {
    if (!t.requiresGrad) return null;
    return t.gradFn ? { node: t.gradFn } : { leaf: t };
  });
  const node = new GradNode(
    name,
    edges,
    saved.map((t) => keep(t.share())),
    backward,
  );
  out.attachGrad(node);
  return out;
}

/** Orders the graph above `root` so every node comes before the nodes it feeds. */
function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: [GradNode, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const e = node.edges[i];
      if (e && 'node' in e && !seen.has(e.node)) {
        seen.add(e.node);
        stack.push([e.node, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

export interface BackwardHooks {
  add(a: Tensor, b: Tensor): Tensor;
}

/**
 * Runs backward from `root` with `grad` (consumed). Leaf gradients
 * accumulate into `.grad`. Unless `retainGraph`, each node's saved tensors
 * are freed once its backward has run.
 */
export function runBackward(root: GradNode, grad: Tensor, retainGraph: boolean, hooks: BackwardHooks): void {
  noGrad(() => {
    const order = topoOrder(root);
    const pending = new Map<GradNode, Tensor>([[root, grad]]);
    for (const node of order) {
      const g = pending.get(node);
      pending.delete(node);
      if (!g) continue;
      if (node.released) {
        g.dispose();
        throw new Error(
          `backward through ${node.name} a second time: its saved tensors were freed by the first backward (pass { retainGraph: true } to the first)`,
        );
      }
      // Temporaries of the backward are freed here; the returned gradients stay.
      const grads = tidy(() => node.backwardFn(g, node.saved, node.needs));
      g.dispose();
      if (!retainGraph) node.releaseSaved();
      node.edges.forEach((e, i) => {
        const gi = grads[i];
        if (!gi) return;
        if (!e) {
          gi.dispose();
          return;
        }
        if ('leaf' in e) {
          e.leaf.accumulateGrad(gi);
          return;
        }
        const prev = pending.get(e.node);
        if (prev) {
          pending.set(e.node, hooks.add(prev, gi));
          prev.dispose();
          gi.dispose();
        } else {
          pending.set(e.node, gi);
        }
      });
    }
  });
}
