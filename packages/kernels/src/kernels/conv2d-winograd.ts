import { allOf, defineKernel, fmaChain, input, memoKernel, output, range } from '../kernel.js';
import type { Stride1Pass } from './conv2d-row-loads.js';
import type { RowsFamily } from './conv2d-family.js';
import { type Conv2dShape, convOutSize } from './window.js';

/**
 * Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray 2015):
 * each 2x2 block of outputs ("tile") is computed from a 4x4 input patch with
 * 16 multiplies per input/output channel pair instead of 36. Four passes:
 *
 *   U[ξ][ci][co] = (G g Gᵀ)[ξ]        weights, once per call (small)
 *   V[ξ][ci][t]  = (Bᵀ d Bᵀ)[ξ]       input patches of every tile t
 *   M[ξ][co][t]  = Σ_ci U[ξ][ci][co] V[ξ][ci][t]    16 independent GEMMs
 *   Y            = Aᵀ M[·][co][t] A (+ bias)         2x2 outputs per tile
 *
 * The GEMM does 16/36 of the direct convolution's multiply-adds and is
 * shaped for CPU adapters like the rows-co kernel: the tiles run along the
 * invocations (consecutive invocations read consecutive V and write
 * consecutive M, so a SIMD lane group loads and stores one vector), and the
 * weights are vec4s over output channels, uniform in the workgroup.
 *
 * F(2x2, 3x3) rather than F(4x4, 3x3): its transforms only add, subtract and
 * halve, so it stays within float32 rounding of the direct convolution
 * (F(4x4) has fractions like 1/6 and its error grows several-fold).
 *
 * Like the rows kernels it reads the weight through strides, so the same
 * passes compute the input gradient (flipped weight, channels swapped).
 */
export interface WinogradTile {
  /** Tiles per invocation (spaced a workgroup apart, so lanes stay contiguous). */
  tt: number;
  /** Output channels per invocation (a multiple of 4). */
  tco: number;
  /** GEMM workgroup size: with `tt`, how many tiles a block covers (the tile count is padded to whole blocks). */
  wg: number;
  /**
   * Reduction steps per trip of the GEMM's loop (default 1), chained onto
   * each accumulator with one store per trip (fmaChain, kernel.ts). The
   * kernel class sets it (ClassPolicy.reductionChain), not the tables.
   */
  kc?: number;
}

/**
 * Measured on llvmpipe, blog CNN forward at batch 32 (GEMM + transforms,
 * direct-convolution FLOPs): tt 16 x tco 32 x wg 32 runs 34 / 56 / 67 / 77
 * GFLOP/s on 32->64 32x32 / 64->128 16x16 / 128->128 16x16 / 256->256 8x8
 * (rows-co r8 tco16: 37 / 38 / 41 / 41); tt 32 x tco 16 x wg 8 37 / 51 / 62 /
 * 72. Smaller register tiles lose (tt 8 x tco 16: 26 / 43 / 47 / 60): each
 * V value is a per-lane load that has to feed many FMAs. A big block (wg x
 * tt tiles) wastes padding on the 8x8 layers (512 tiles at batch 32).
 */
export const WINOGRAD_TILES: readonly WinogradTile[] = [
  { tt: 16, tco: 32, wg: 32 },
  { tt: 32, tco: 16, wg: 8 },
  { tt: 8, tco: 32, wg: 64 },
];

export const WINOGRAD_WG = 64;
const WG = WINOGRAD_WG;

/** 1-D transforms on 4 or 3 WGSL expressions (applied to rows, then columns). */
const G = (g: string[]) => [g[0]!, `0.5 * (${g[0]} + ${g[1]} + ${g[2]})`, `0.5 * (${g[0]} - ${g[1]} + ${g[2]})`, g[2]!];
const BT = (d: string[]) => [`${d[0]} - ${d[2]}`, `${d[1]} + ${d[2]}`, `${d[2]} - ${d[1]}`, `${d[1]} - ${d[3]}`];
const AT = (m: string[]) => [`${m[0]} + ${m[1]} + ${m[2]}`, `${m[1]} - ${m[2]} - ${m[3]}`];
/** The transposes, for the weight gradient: dU = (A dY Aᵀ) ⊙ V summed over tiles, dg = Gᵀ dU G. */
export const A_ = (y: string[]) => [y[0]!, `${y[0]} + ${y[1]}`, `${y[0]} - ${y[1]}`, `-${y[1]}`];
export const GT = (v: string[]) => [
  `${v[0]} + 0.5 * (${v[1]} + ${v[2]})`,
  `0.5 * (${v[1]} - ${v[2]})`,
  `0.5 * (${v[1]} + ${v[2]}) + ${v[3]}`,
];

/**
 * A Winograd F(m x m, 3x3) scheme: m x m outputs per tile from an
 * alpha x alpha input patch (alpha = m + 2), through alpha² independent
 * GEMMs. F(2x2) is this file's; conv2d-winograd4.ts adds F(4x4).
 */
export interface WinogradScheme {
  readonly m: number;
  /** Appended to the kernels' names ('' for F(2x2)), so each scheme has its own pipelines. */
  readonly suffix: string;
  /** 1-D transforms on WGSL expressions: weights 3 -> alpha, input alpha -> alpha, output alpha -> m. */
  readonly G: (g: string[]) => string[];
  readonly BT: (d: string[]) => string[];
  readonly AT: (m: string[]) => string[];
}

export const F2X2: WinogradScheme = { m: 2, suffix: '', G, BT, AT };

/** The input patch's side. */
const alphaOf = (scheme: WinogradScheme) => scheme.m + 2;

/** A scheme's kernel, built once per scheme (its suffix names it). */
const perScheme = <T>(make: (scheme: WinogradScheme) => T) => memoKernel(make, (scheme) => scheme.suffix);

/**
 * Two-sided transform of a rows x cols grid of scalars named `src(r, c)`:
 * `f` on each column, then on each row of the result. Emits `let` lines and
 * returns the names of the out x out results, row-major.
 */
export function transform2d(
  src: (r: number, c: number) => string,
  rows: number,
  f: (v: string[]) => string[],
  out: string,
): { lines: string[]; names: string[][] } {
  const lines: string[] = [];
  const cols = rows;
  const mid: string[][] = [];
  for (let c = 0; c < cols; c++) {
    const col = f(range(rows).map((r) => src(r, c)));
    col.forEach((e, r) => {
      (mid[r] ??= [])[c] = `${out}m${r}_${c}`;
      lines.push(`let ${out}m${r}_${c} = ${e};`);
    });
  }
  const names: string[][] = [];
  mid.forEach((row, r) => {
    f(row).forEach((e, c) => {
      (names[r] ??= [])[c] = `${out}${r}_${c}`;
      lines.push(`let ${out}${r}_${c} = ${e};`);
    });
  });
  return { lines, names };
}

/**
 * A Winograd transform pass (memory-bound, one invocation per value of a
 * lane index along x and of a channel along y): reads `from`, writes `to`
 * (f32 arrays; `extra` read-only bindings in between). Emits the common
 * prologue, `let <lane> = ...; let <channel> = ...;`, before `body`.
 */
export function transformKernel(o: {
  name: string;
  from: string;
  to: string;
  extra?: readonly string[];
  params: readonly (readonly [string, 'u32' | 'i32' | 'f32'])[];
  lane: string;
  channel: string;
  body: string;
}) {
  return defineKernel({
    name: o.name,
    bindings: [
      { name: o.from, type: 'f32', access: 'read' },
      ...(o.extra ?? []).map((name) => ({ name, type: 'f32' as const, access: 'read' as const })),
      { name: o.to, type: 'f32', access: 'read_write' },
    ],
    params: o.params,
    workgroupSize: WG,
    body: `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ${o.lane} = wid.x * ${WG}u + lid;
  let ${o.channel} = wid.y;
  ${o.body.trim()}
}`,
  });
}

const WEIGHT_PARAMS = [
  ['co', 'u32'],
  ['op', 'u32'],
  ['ci', 'u32'],
  ['wBase', 'i32'],
  ['wO', 'i32'],
  ['wI', 'i32'],
  ['wKy', 'i32'],
  ['wKx', 'i32'],
] as const;

/** U[(ξ*ci + i)*op + o] = (G g Gᵀ)[ξ] of weight (o, i) read through the strides; zero for o >= co. */
const weightKernel = perScheme((scheme) => {
  const alpha = alphaOf(scheme);
  const { lines, names } = transform2d((r, c) => `g${r}_${c}`, 3, scheme.G, 'u');
  return transformKernel({
    name: `conv2d_winograd_weights${scheme.suffix}`,
    from: 'W',
    to: 'U',
    params: WEIGHT_PARAMS,
    lane: 'o',
    channel: 'i',
    body: `
  if (o >= p.op) { return; }
  let ok = o < p.co;
  let at = p.wBase + i32(min(o, p.co - 1u)) * p.wO + i32(i) * p.wI;
  ${range(9)
    .map(
      (k) =>
        `let g${Math.floor(k / 3)}_${k % 3} = select(0.0, W[u32(at + ${Math.floor(k / 3)} * p.wKy + ${k % 3} * p.wKx)], ok);`,
    )
    .join('\n  ')}
  ${lines.join('\n  ')}
  ${names.flatMap((row, r) => row.map((n, c) => `U[(${alpha * r + c}u * p.ci + i) * p.op + o] = ${n};`)).join('\n  ')}`,
  });
});

/**
 * WGSL: where output tile `t` (of image n0 + t / perImage, tiles of m x m)
 * starts in output channel `channel`: `at` (its top-left element), and
 * whether its second column and row exist (`right`, `below`).
 */
export function outputTile(channel: string, m = 2): string {
  return `let tile = t % p.perImage;
  let oy = ${m}u * (tile / p.tilesX);
  let ox = ${m}u * (tile % p.tilesX);
  let at = (((p.n0 + t / p.perImage) * p.co + ${channel}) * p.oh + oy) * p.ow + ox;
  let right = ox + 1u < p.ow;
  let below = oy + 1u < p.oh;`;
}

export const TILE_PARAMS = [
  ['n0', 'u32'],
  ['ci', 'u32'],
  ['co', 'u32'],
  ['h', 'u32'],
  ['w', 'u32'],
  ['oh', 'u32'],
  ['ow', 'u32'],
  ['ph', 'u32'],
  ['pw', 'u32'],
  ['tilesX', 'u32'],
  ['perImage', 'u32'],
  ['t', 'u32'],
  ['tp', 'u32'],
  ['hasBias', 'u32'],
  // Where V[ξ][c][t] goes: ξ*vX + c*vC + t*vT (the forward and the weight gradient want different orders).
  ['vX', 'u32'],
  ['vC', 'u32'],
  ['vT', 'u32'],
] as const;

/** V[ξ*vX + c*vC + t*vT] = (Bᵀ d B)[ξ] of tile t's alpha x alpha input patch in channel c (zero padding; zero for t >= T). */
const inputKernel = perScheme((scheme) => {
  const { m } = scheme;
  const alpha = alphaOf(scheme);
  const { lines, names } = transform2d((r, c) => `d${r}_${c}`, alpha, scheme.BT, 'v');
  const loads = range(alpha).flatMap((r) => [
    `let iy${r} = iyTop + ${r};`,
    `let row${r} = xplane + u32(clamp(iy${r}, 0, i32(p.h) - 1)) * p.w;`,
    `let rok${r} = ${allOf('valid', `iy${r} >= 0`, `iy${r} < i32(p.h)`)};`,
    ...range(alpha).map(
      (c) =>
        `let d${r}_${c} = select(0.0, X[row${r} + u32(clamp(ix0 + ${c}, 0, i32(p.w) - 1))], ${allOf(`rok${r}`, `ix0 + ${c} >= 0`, `ix0 + ${c} < i32(p.w)`)});`,
    ),
  ]);
  return transformKernel({
    name: `conv2d_winograd_input${scheme.suffix}`,
    from: 'X',
    to: 'V',
    params: TILE_PARAMS,
    lane: 't',
    channel: 'c',
    body: `
  if (t >= p.tp) { return; }
  let valid = t < p.t;
  let tc = min(t, p.t - 1u);
  let tile = tc % p.perImage;
  let xplane = ((p.n0 + tc / p.perImage) * p.ci + c) * p.h * p.w;
  let iyTop = i32(${m}u * (tile / p.tilesX)) - i32(p.ph);
  let ix0 = i32(${m}u * (tile % p.tilesX)) - i32(p.pw);
  ${loads.join('\n  ')}
  ${lines.join('\n  ')}
  let at = c * p.vC + t * p.vT;
  ${names.flatMap((row, r) => row.map((n, cc) => `V[${alpha * r + cc}u * p.vX + at] = ${n};`)).join('\n  ')}`,
  });
});

/** The input transform of a scheme (F(2x2) by default: the weight gradient's). */
export const winogradInputKernel = (scheme: WinogradScheme = F2X2) => inputKernel(scheme);

/**
 * The `planes` GEMMs (16 for F(2x2), alpha² in general), split along their
 * reduction: for split s (of a launch whose z is planes x splits) and lane
 * index t,
 *   M[((splitBase + s)*planes + ξ)*co + o][t] = Σ_{c in split s} A[ξ][c][o] B[ξ][c][t]
 * with A vec4s over o (uniform in the workgroup) and B lane-contiguous. The
 * forward runs it with A = U, B = V (c: input channels, t: tiles, one
 * split); the weight gradient with A = the transformed output gradient,
 * B = V transposed (c: tiles, t: input channels, many splits).
 *
 * Where tt is a multiple of 4, an invocation's tiles are 4 consecutive ones
 * per vec4 of B (its tt/4 vec4s a workgroup apart): llvmpipe loads storage
 * buffers one lane at a time, a vec4 in one such pass, so one vec4 load
 * costs about what one float load does (on SwiftShader, whose Subzero JIT
 * gathers each component apart, about two: 0.9 G floats/s as vec4s against
 * 0.5 G one at a time, measured with a probe kernel). On llvmpipe
 * the loads were two thirds of the 128->128 16x16 F(4x4) GEMM timed alone
 * (36-37 ms, 12 with constants for both operands; 21 with B as vec4s); in
 * the blog CNN's SGD step profile its GEMMs went down 8-14% (128->128
 * input gradient 21.7 -> 19.0 ms, 256->256 weight gradient 21.0 -> 18.4).
 *
 * The loop takes kc reduction steps per trip (the tile's kc, set by the
 * kernel class), each accumulator updated once per trip (fmaChain).
 */
export const winogradGemmKernel = memoKernel((tile: WinogradTile, planes: number = 16) => {
  const { tt, tco, wg } = tile;
  const kc = tile.kc ?? 1;
  const cb = tco / 4;
  const quads = tt % 4 === 0;
  // Tile j of the invocation: with quads, component j % 4 of vec4 j / 4 (vec4s a workgroup apart); else a workgroup apart.
  const tileOffset = (j: number) => (quads ? 4 * wg * Math.floor(j / 4) + (j % 4) : j * wg);
  const acc = range(tt).flatMap((j) => range(cb).map((b) => `var a${j}_${b} = vec4<f32>(0.0);`));
  // Step s of a trip reduces over c + s; past c1 (the last trip of a reduction kc does not divide) it reads c1 - 1 with B zeroed.
  const step = (s: number) => {
    const c = s === 0 ? 'c' : `cs${s}`;
    const live = (e: string, zero: string) => (s === 0 ? e : `select(${zero}, ${e}, c + ${s}u < c1)`);
    const vb = quads ? `((xi * p.kAll + ${c}) * p.tp + t0) / 4u` : `(xi * p.kAll + ${c}) * p.tp + t0`;
    const loads = quads
      ? range(tt / 4).flatMap((q) => [
          `let b${s}_${q} = ${live(`B[vb${s} + ${q * wg}u]`, 'vec4<f32>(0.0)')};`,
          ...range(4).map((k) => `let v${s}_${4 * q + k} = vec4<f32>(b${s}_${q}.${'xyzw'[k]});`),
        ])
      : range(tt).map((j) => `let v${s}_${j} = vec4<f32>(${live(`B[vb${s} + ${j * wg}u]`, '0.0')});`);
    return [
      ...(s === 0 ? [] : [`let cs${s} = min(c + ${s}u, c1 - 1u);`]),
      `let vb${s} = ${vb};`,
      `let ub${s} = (xi * p.kAll + ${c}) * op4;`,
      ...loads,
      ...range(cb).map((b) => `let u${s}_${b} = A[ub${s} + min(cb0 + ${b}u, op4 - 1u)];`),
    ];
  };
  // Each accumulator takes the trip's kc products in step order, one store (fmaChain says why).
  const chain = (j: number, b: number) =>
    fmaChain(
      `a${j}_${b}`,
      range(kc).map((s) => [`v${s}_${j}`, `u${s}_${b}`] as const),
    );
  const body = [
    ...range(kc).flatMap(step),
    ...range(tt).map((j) =>
      range(cb)
        .map((b) => `a${j}_${b} = ${chain(j, b)};`)
        .join(' '),
    ),
  ];
  const stores = range(cb).flatMap((b) =>
    range(4).map(
      (q) =>
        `if (4u * (cb0 + ${b}u) + ${q}u < p.co) { let m = (mx * p.co + 4u * (cb0 + ${b}u) + ${q}u) * p.tp + t0; ${range(
          tt,
        )
          .map((j) => `M[m + ${tileOffset(j)}u] = a${j}_${b}[${q}];`)
          .join(' ')} }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_winograd_gemm',
    config: { tt, tco, wg, ...(planes === 16 ? {} : { planes }), ...(kc === 1 ? {} : { kc }) },
    bindings: [input('B', quads ? 'vec4<f32>' : 'f32'), input('A', 'vec4<f32>'), output('M')],
    params: [
      ['k', 'u32'],
      ['kAll', 'u32'],
      ['co', 'u32'],
      ['tp', 'u32'],
      ['op4', 'u32'],
      ['splitBase', 'u32'],
    ],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // tp is a whole number of ${wg * tt}-lane blocks, so no lane index needs a guard.
  let t0 = wid.x * ${wg * tt}u + ${quads ? '4u * lid' : 'lid'};
  let cb0 = wid.y * ${cb}u;
  let xi = wid.z % ${planes}u;
  let split = wid.z / ${planes}u;
  let mx = (p.splitBase + split) * ${planes}u + xi;
  let op4 = p.op4;
  let c0 = split * p.k;
  let c1 = min(c0 + p.k, p.kAll);
  ${acc.join('\n  ')}
  for (var c = c0; c < c1; c += ${kc}u) {
    ${body.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`,
  });
});

/** Y = Aᵀ M A (+ bias) for tile t, output channel o: an m x m block, stores guarded at the right and bottom edges. */
const outputKernel = perScheme((scheme) => {
  const { m } = scheme;
  const alpha = alphaOf(scheme);
  const { lines, names } = transform2d((r, c) => `m${r}_${c}`, alpha, scheme.AT, 'y');
  const stores = names.flatMap((row, r) =>
    row.map((n, c) => {
      const at = `at${r > 0 ? ` + ${r}u * p.ow` : ''}${c > 0 ? ` + ${c}u` : ''}`;
      const inside = [...(c > 0 ? [`ox + ${c}u < p.ow`] : []), ...(r > 0 ? [`oy + ${r}u < p.oh`] : [])];
      const store = `Y[${at}] = ${n} + b;`;
      return inside.length === 0 ? store : `if ${allOf(...inside)} { ${store} }`;
    }),
  );
  return transformKernel({
    name: `conv2d_winograd_output${scheme.suffix}`,
    from: 'M',
    extra: ['Bias'],
    to: 'Y',
    params: TILE_PARAMS,
    lane: 't',
    channel: 'o',
    body: `
  if (t >= p.t) { return; }
  ${range(alpha * alpha)
    .map((k) => `let m${Math.floor(k / alpha)}_${k % alpha} = M[(${k}u * p.co + o) * p.tp + t];`)
    .join('\n  ')}
  ${lines.join('\n  ')}
  let b = select(0.0, Bias[o], p.hasBias != 0u);
  ${outputTile('o', m)}
  ${stores.join('\n  ')}`,
  });
});

/**
 * The 3x3 stride-1 pass of a Winograd scheme (forward, or input gradient
 * via the weight strides). Images go in chunks small enough that V and M
 * each fit one storage binding.
 */
export function winogradPass(scheme: WinogradScheme): Stride1Pass<WinogradTile, [maxBinding?: number]> {
  const { m } = scheme;
  const planes = alphaOf(scheme) ** 2;
  return (
    ctx,
    x,
    w,
    bias,
    y,
    g,
    tile,
    label,
    // Bytes one storage binding may hold (default: the device's limit; tests pass less to force chunks).
    maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize),
  ) => {
    if (g.kh !== 3 || g.kw !== 3) throw new Error(`${label}: the Winograd variant needs a 3x3 kernel`);
    const op4 = Math.ceil(g.co / 4);
    const op = 4 * op4;
    const u = ctx.alloc(planes * g.ci * op * 4, 'conv2d Winograd weights');
    ctx.dispatch(
      weightKernel(scheme),
      [w, u],
      { co: g.co, op, ci: g.ci, wBase: g.wBase, wO: g.wO, wI: g.wI, wKy: g.wKy, wKx: g.wKx },
      [Math.ceil(op / WG), g.ci, 1],
      `${label} (Winograd weights)`,
    );

    const tilesX = Math.ceil(g.ow / m);
    const perImage = tilesX * Math.ceil(g.oh / m);
    const block = tile.wg * tile.tt;
    // Bytes of V or M per tile: `planes` transformed values per channel.
    const perTile = planes * Math.max(g.ci, g.co) * 4;
    const chunk = Math.max(1, Math.min(g.n, Math.floor((maxBinding / perTile - block) / perImage)));
    if (chunk * perImage + block > maxBinding / perTile)
      throw new Error(`${label}: one image's Winograd tiles exceed a storage binding (${maxBinding} bytes)`);
    for (let n0 = 0; n0 < g.n; n0 += chunk) {
      const t = Math.min(chunk, g.n - n0) * perImage;
      const tp = Math.ceil(t / block) * block;
      const params = {
        n0,
        ci: g.ci,
        co: g.co,
        h: g.h,
        w: g.w,
        oh: g.oh,
        ow: g.ow,
        ph: g.ph,
        pw: g.pw,
        tilesX,
        perImage,
        t,
        tp,
        hasBias: bias ? 1 : 0,
        vX: g.ci * tp,
        vC: tp,
        vT: 1,
      };
      const v = ctx.alloc(planes * g.ci * tp * 4, 'conv2d Winograd input tiles');
      const mm = ctx.alloc(planes * g.co * tp * 4, 'conv2d Winograd products');
      ctx.dispatch(
        winogradInputKernel(scheme),
        [x, v],
        params,
        [Math.ceil(tp / WG), g.ci, 1],
        `${label} (Winograd input)`,
      );
      const gemm = { k: g.ci, kAll: g.ci, co: g.co, tp, op4, splitBase: 0 };
      const grid = [tp / block, Math.ceil(op4 / (tile.tco / 4)), planes] as const;
      ctx.dispatch(winogradGemmKernel(tile, planes), [v, u, mm], gemm, [...grid], label);
      ctx.dispatch(
        outputKernel(scheme),
        [mm, bias ?? mm, y],
        params,
        [Math.ceil(t / WG), g.co, 1],
        `${label} (Winograd output)`,
      );
      // Encoded dispatches keep seeing the contents; the pool may hand them out after this batch.
      ctx.free(v);
      ctx.free(mm);
    }
    ctx.free(u);
  };
}

/**
 * Whether a tile's lane block (wg x tt tiles, the GEMM's unit of work) is
 * at most half padding for geometry s under F(m x m): a batch-1 8x8 layer
 * has 16 F(2x2) tiles (4 for F(4x4)), and a 128- or 512-tile block would
 * spend 8-32x the GEMM work on padding (measured on SwiftShader: 214 ms
 * for a batch-1 256->256 8x8 F(4x4) forward).
 */
export function winogradBlockFits(s: Conv2dShape, t: WinogradTile, m: number): boolean {
  const { oh, ow } = convOutSize(s);
  return t.wg * t.tt <= 2 * s.n * Math.ceil(oh / m) * Math.ceil(ow / m);
}

/** FMA statements a tile's GEMM loop unrolls (vec4 accumulators times chained steps). */
export const winogradUnroll = (t: WinogradTile) => ((t.tt * t.tco) / 4) * (t.kc ?? 1);

/** F(2x2, 3x3) as a stride-1 pass. */
export const conv2dWinograd = winogradPass(F2X2);

/**
 * Winograd F(2x2, 3x3): 3x3 stride 1 where the reduction (channels summed
 * over) is long enough to amortize its transforms (the first layer's 3
 * channels are not).
 */
export const WINOGRAD_FAMILY: RowsFamily<'wino', WinogradTile> = {
  kind: 'wino',
  tiles: WINOGRAD_TILES,
  applies: (s, reduction) => s.kh === 3 && s.kw === 3 && reduction >= 16,
  fits: (s, t) => winogradBlockFits(s, t, 2),
  strided: false,
  unroll: winogradUnroll,
  preferred: true,
  run: conv2dWinograd,
};
