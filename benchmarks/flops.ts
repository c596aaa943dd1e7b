/**
 * Kernel efficiency for the step profile: the arithmetic a dispatch does,
 * read from its label, and the adapter's peak rate where it can be known.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import type { AdapterDescription } from '@pneumo/kernels';

const CONV =
  /^conv2d(?: backward \((?:input|weight)\))? \[(\d+),(\d+),(\d+),(\d+)\] \* \[(\d+),(\d+),(\d+),(\d+)\] s(\d+)x(\d+) p(\d+)x(\d+)$/;
const MATMUL = /^matmul \[(\d+)x(\d+)x(\d+)\]ᵀ? · \[(\d+)x(\d+)\]ᵀ?$/;

/**
 * Floating-point operations (a multiply-add counts 2) of a convolution
 * pass (forward, input or weight gradient: the same products) or a matmul,
 * from the label the kernels give their dispatch; null for anything else
 * (a weight layout pass, an elementwise op).
 */
export function labelFlops(label: string): number | null {
  const c = CONV.exec(label);
  if (c) {
    const [n, ci, h, w, co, , kh, kw, sh, sw, ph, pw] = c.slice(1).map(Number) as number[];
    const oh = Math.floor((h! + 2 * ph! - kh!) / sh!) + 1;
    const ow = Math.floor((w! + 2 * pw! - kw!) / sw!) + 1;
    return 2 * n! * co! * oh * ow * ci! * kh! * kw!;
  }
  const m = MATMUL.exec(label);
  if (m) {
    const [batch, rows, k, , cols] = m.slice(1).map(Number) as number[];
    return 2 * batch! * rows! * cols! * k!;
  }
  return null;
}

/** Vector lanes of llvmpipe's shaders, from its adapter description (`llvmpipe-…-256-bits`). */
export function llvmpipeLanes(a: AdapterDescription): number | null {
  const bits = /llvmpipe.*?(\d+)[- ]bits/i.exec(`${a.device} ${a.description} ${a.architecture}`);
  return bits ? Number(bits[1]) / 32 : null;
}

/**
 * The adapter's peak float32 rate, where it can be known: for llvmpipe,
 * threads (one per core) x lanes x 2 FMA pipes x 2 operations x clock, the
 * clock from /proc/cpuinfo's "cpu MHz" (the kernel's current reading, not
 * a boost ceiling) and 2 FMA pipes per core assumed (x86 since Haswell and
 * Zen). Null elsewhere (SwiftShader's vector width, a GPU's clock and
 * units are not reported).
 */
export function adapterPeak(a: AdapterDescription): { gflops: number; how: string } | null {
  const lanes = llvmpipeLanes(a);
  if (lanes === null) return null;
  let mhz: number[] = [];
  try {
    mhz = [...readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
  } catch {
    return null;
  }
  if (mhz.length === 0) return null;
  const ghz = mhz.reduce((s, v) => s + v, 0) / mhz.length / 1000;
  const cores = Number(process.env.LP_NUM_THREADS) || availableParallelism();
  const gflops = cores * lanes * 2 * 2 * ghz;
  return {
    gflops,
    how: `${cores} threads x ${lanes} lanes x 2 FMA pipes (assumed) x 2 operations x ${ghz.toFixed(2)} GHz (/proc/cpuinfo)`,
  };
}
