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
