/**
 * Weight initialization with PyTorch's formulas, from a seedable generator.
 * Each returns a new tensor of `shape` (the layers call these; use them to
 * re-initialize with `param.assign(init.xavierUniform(param.shape))`).
 */
import { defaultGenerator, type DeviceName, type Generator, tensor, type Tensor, numel } from '@pneumo/tensor';

export interface InitOptions {
  generator?: Generator;
  device?: DeviceName;
}

/** fan_in and fan_out as torch.nn.init computes them: dims 0 and 1 times the receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2)
    throw new Error(`init: fan in and fan out need at least 2 dimensions, got [${shape.join(', ')}]`);
  const receptive = numel(shape.slice(2));
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function fill(shape: readonly number[], o: InitOptions, f: (g: Generator) => number): Tensor {
  const g = o.generator ?? defaultGenerator;
  const n = numel(shape);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = f(g);
  return tensor(v, { shape, device: o.device });
}

export function uniform(shape: readonly number[], low: number, high: number, o: InitOptions = {}): Tensor {
  return fill(shape, o, (g) => low + (high - low) * g.uniform());
}

export function normal(shape: readonly number[], mean: number, std: number, o: InitOptions = {}): Tensor {
  return fill(shape, o, (g) => mean + std * g.normal());
}

export function constant(shape: readonly number[], value: number, o: InitOptions = {}): Tensor {
  return fill(shape, o, () => value);
}

export function zeros(shape: readonly number[], o: InitOptions = {}): Tensor {
  return constant(shape, 0, o);
}

/** Gain of torch.nn.init.calculate_gain for the nonlinearities used here. */
export function gain(nonlinearity: 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid', param = 0.01): number {
  switch (nonlinearity) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + param * param));
    case 'tanh':
      return 5 / 3;
    default:
      return 1;
  }
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU after this layer (PyTorch's `a`). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: 'relu' | 'leaky_relu';
}

export function kaimingUniform(shape: readonly number[], o: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const fan = o.mode === 'fanOut' ? fanOut : fanIn;
  const std = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  const bound = Math.sqrt(3) * std;
  return uniform(shape, -bound, bound, o);
}

export function kaimingNormal(shape: readonly number[], o: KaimingOptions = {}): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const fan = o.mode === 'fanOut' ? fanOut : fanIn;
  return normal(shape, 0, gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan), o);
}

export function xavierUniform(shape: readonly number[], o: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const bound = (o.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape, -bound, bound, o);
}

export function xavierNormal(shape: readonly number[], o: InitOptions & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(shape);
  return normal(shape, 0, (o.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), o);
}

/**
 * PyTorch's default for Linear and Conv2d: weight kaiming_uniform with
 * a = sqrt(5) (= U(±1/sqrt(fan_in))), bias U(±1/sqrt(fan_in)).
 */
export function defaultWeight(shape: readonly number[], o: InitOptions = {}): Tensor {
  return kaimingUniform(shape, { ...o, a: Math.sqrt(5) });
}

export function defaultBias(weightShape: readonly number[], size: number, o: InitOptions = {}): Tensor {
  const { fanIn } = fans(weightShape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform([size], -bound, bound, o);
}
