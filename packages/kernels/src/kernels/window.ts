/** A sliding window over the last two dimensions: kernel, stride, padding. */
export interface Window2d {
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

/** The one home of the output-size formula that convolutions and pooling share (PyTorch's, floor mode, dilation 1). */
export function windowOutSize(s: Window2d): { oh: number; ow: number } {
  return { oh: Math.floor((s.h + 2 * s.ph - s.kh) / s.sh) + 1, ow: Math.floor((s.w + 2 * s.pw - s.kw) / s.sw) + 1 };
}

/** Geometry of a 2-D convolution (NCHW input, OIHW weight; dilation 1, groups 1). */
export interface Conv2dShape extends Window2d {
  n: number;
  ci: number;
  co: number;
}

export function convOutSize(s: Conv2dShape): { oh: number; ow: number } {
  return windowOutSize(s);
}

/** The uniform parameters of a window's geometry: input and output size, kernel, stride, padding. */
export const WINDOW_PARAMS = [
  ['h', 'u32'],
  ['w', 'u32'],
  ['oh', 'u32'],
  ['ow', 'u32'],
  ['kh', 'u32'],
  ['kw', 'u32'],
  ['sh', 'u32'],
  ['sw', 'u32'],
  ['ph', 'u32'],
  ['pw', 'u32'],
] as const;

/** A convolution's: the window, the batch and the channels. */
export const CONV_PARAMS = [['n', 'u32'], ['ci', 'u32'], ['co', 'u32'], ...WINDOW_PARAMS] as const;
