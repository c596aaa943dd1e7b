import type { WinogradScheme } from './conv2d-winograd.js';
import { type WinogradWeightScheme, winogradWeightFamily, winogradWeightPass } from './conv2d-weight-winograd.js';
import { linearTransform, rational, toomCook, transpose } from './winograd-toom-cook.js';

/**
 * The weight gradient through Winograd F(4x4, 3x3): 36 multiply-adds per
 * 4x4 output-gradient tile and channel pair instead of 144 (F(2x2): 16 per
 * 2x2 tile, 2.25x fewer than direct, against 4x here).
 *
 * The points are 0, 1, -1, 2, -1/2 (and infinity), not the forward's
 * 0, ±1, ±2 (conv2d-winograd4.ts): the weight gradient sums every tile of
 * the batch in the Winograd domain, and swapping -2 for -1/2 balances the
 * transforms' magnitudes (1/2 and 1/4 in Bᵀ, 1/8 in Aᵀ against 8 and 4).
 * Worst element against PyTorch's conv2d fixtures (test/fixtures), the
 * golden tests allowing 1e-4: 3.3e-5 with these points on llvmpipe and
 * SwiftShader, 5.1e-5 and 6.2e-5 with Lavin's, 5.1e-6 for F(2x2). On
 * llvmpipe, blog CNN at batch 32, it ran 1.5-1.7x faster than F(2x2) with
 * the same tiles on every layer with 64+ input channels.
 */
const POINTS = [rational(0), rational(1), rational(-1), rational(2), rational(-1, 2)];
const { AT, G, BT } = toomCook(POINTS, 4, 3);

/** The input transform (Bᵀ) of these points, for the weight gradient's input tiles; G and Aᵀ complete the scheme. */
export const F4X4_WEIGHT_POINTS: WinogradScheme = {
  m: 4,
  suffix: '_4x4w',
  G: linearTransform(G),
  BT: linearTransform(BT),
  AT: linearTransform(AT),
};

export const F4X4_WEIGHT: WinogradWeightScheme = {
  scheme: F4X4_WEIGHT_POINTS,
  A: linearTransform(transpose(AT)),
  GT: linearTransform(transpose(G)),
};

export const conv2dWeightGradWinograd4 = winogradWeightPass(F4X4_WEIGHT);

/**
 * F(4x4)'s weight gradient: the same tiles (lanes over input channels,
 * vec4s over output channels) as F(2x2), with 36 GEMM planes instead of 16
 * and a quarter of the tiles.
 */
export const WEIGHT_WINOGRAD4_FAMILY = winogradWeightFamily('wino4', conv2dWeightGradWinograd4);

/** The tiles it runs (F(2x2)'s), for the tests that run every variant. */
export const WINOGRAD4_WEIGHT_TILES = WEIGHT_WINOGRAD4_FAMILY.tiles;
