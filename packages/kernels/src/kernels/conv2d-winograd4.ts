import type { RowsFamily } from './conv2d-family.js';
import {
  type WinogradScheme,
  type WinogradTile,
  winogradBlockFits,
  winogradPass,
  winogradUnroll,
} from './conv2d-winograd.js';

/**
 * Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions: each 4x4 block of
 * outputs comes from a 6x6 input patch with 36 multiplies per input/output
 * channel pair instead of 144, against F(2x2)'s 16 for 36 (2.25 against 4
 * per output). The same four passes as F(2x2) (conv2d-winograd.ts), with 36
 * GEMMs instead of 16 and a third fewer bytes of transformed input per
 * output.
 *
 * The transforms use the points 0, ±1, ±2 (Lavin & Gray 2015). Their
 * fractions (1/6, 1/24) and the input transform's 4s and 5s cost accuracy:
 * against PyTorch 4.1e-5 (forward) and 1.9e-5 (input gradient) where
 * F(2x2) gives 2.2e-6 and 1.4e-6, inside the golden tests' 1e-4. The weight
 * gradient's F(4x4) uses other points (conv2d-weight-winograd4.ts says why).
 */
const G4 = (g: string[]) => [
  `0.25 * ${g[0]}`,
  `(-1.0 / 6.0) * (${g[0]} + ${g[1]} + ${g[2]})`,
  `(-1.0 / 6.0) * (${g[0]} - ${g[1]} + ${g[2]})`,
  `(1.0 / 24.0) * ${g[0]} + (1.0 / 12.0) * ${g[1]} + (1.0 / 6.0) * ${g[2]}`,
  `(1.0 / 24.0) * ${g[0]} - (1.0 / 12.0) * ${g[1]} + (1.0 / 6.0) * ${g[2]}`,
  g[2]!,
];
const BT4 = (d: string[]) => [
  `4.0 * ${d[0]} - 5.0 * ${d[2]} + ${d[4]}`,
  `${d[3]} + ${d[4]} - 4.0 * (${d[1]} + ${d[2]})`,
  `4.0 * (${d[1]} - ${d[2]}) - ${d[3]} + ${d[4]}`,
  `2.0 * (${d[3]} - ${d[1]}) - ${d[2]} + ${d[4]}`,
  `2.0 * (${d[1]} - ${d[3]}) - ${d[2]} + ${d[4]}`,
  `4.0 * ${d[1]} - 5.0 * ${d[3]} + ${d[5]}`,
];
const AT4 = (m: string[]) => [
  `${m[0]} + ${m[1]} + ${m[2]} + ${m[3]} + ${m[4]}`,
  `${m[1]} - ${m[2]} + 2.0 * (${m[3]} - ${m[4]})`,
  `${m[1]} + ${m[2]} + 4.0 * (${m[3]} + ${m[4]})`,
  `${m[1]} - ${m[2]} + 8.0 * (${m[3]} - ${m[4]}) + ${m[5]}`,
];

export const F4X4: WinogradScheme = { m: 4, suffix: '_4x4', G: G4, BT: BT4, AT: AT4 };

/**
 * A quarter as many tiles as F(2x2) on the same image (an 8x8 layer at
 * batch 32 has 128), so the GEMM's lane blocks (wg x tt tiles) stay at
 * 128-512 to waste little padding.
 */
export const WINOGRAD4_TILES: readonly WinogradTile[] = [
  { tt: 16, tco: 32, wg: 8 },
  { tt: 8, tco: 32, wg: 16 },
  { tt: 16, tco: 32, wg: 32 },
];

export const conv2dWinograd4 = winogradPass(F4X4);

/** F(4x4, 3x3): where the reduction is long enough (32 channels and more) to amortize its larger transforms. */
export const WINOGRAD4_FAMILY: RowsFamily<'wino4', WinogradTile> = {
  kind: 'wino4',
  tiles: WINOGRAD4_TILES,
  applies: (s, reduction) => s.kh === 3 && s.kw === 3 && reduction >= 32,
  fits: (s, t) => winogradBlockFits(s, t, 4),
  strided: false,
  unroll: winogradUnroll,
  preferred: true,
  run: conv2dWinograd4,
};
