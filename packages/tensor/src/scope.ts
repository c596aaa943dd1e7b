/**
 * Memory scopes. GPU buffers are not garbage collected in useful time, so
 * tensors are freed explicitly: `t.dispose()`, or `tidy(fn)`, which frees
 * every tensor created inside `fn` except those it returns (and those passed
 * to `keep`).
 */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];
let liveTensors = 0;

/** Called by every new tensor. */
export function track(t: Disposable): void {
  liveTensors++;
  scopes[scopes.length - 1]?.add(t);
}

/** Called by every disposed tensor. */
export function untrack(t: Disposable): void {
  liveTensors--;
  scopes[scopes.length - 1]?.delete(t);
}

/** Keeps a tensor created inside a tidy scope alive after the scope ends. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** The tensors found in a returned value (a tensor, or arrays / plain objects of them). */
function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype || value instanceof Map) {
    const values = value instanceof Map ? value.values() : Object.values(value);
    for (const v of values) collect(v, out, depth + 1);
  }
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'isDisposed' in v;
}

/**
 * Runs `fn` and frees every tensor it created that is not part of its
 * result. The result's tensors move to the enclosing scope. `fn` must be
 * synchronous: tensors created after an `await` would escape the scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new Error('tidy: the function returned a Promise; tidy scopes must be synchronous');
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else if (!t.isDisposed) t.dispose();
  }
  return result;
}

export function liveTensorCount(): number {
  return liveTensors;
}
