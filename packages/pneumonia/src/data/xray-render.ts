/**
 * X-ray-like images drawn from a seed: lung fields, ribs, spine and
 * mediastinum; bacterial pneumonia as a dense lobar consolidation in one
 * lung, viral as a diffuse bilateral interstitial pattern; random size,
 * position, contrast and noise. Pure computation (the browser app trains on
 * them too); data/synthetic.ts writes them as a dataset.
 */
import type { Generator } from '@pneumo/nn';
import type { GreyImage } from './image.js';

export type SyntheticClass = 0 | 1 | 2;

/** Renders one X-ray-like image of a class. */
export function renderXray(cls: SyntheticClass, g: Generator, width = 96, height = 96): GreyImage {
  const data = new Float32Array(width * height);
  const u = (a: number, b: number) => a + (b - a) * g.uniform();
  // The generator's draws in a fixed order (anatomy, pathology, then exposure): a seed gives the same image.
  const body = drawAnatomy(u, width, height);
  const sick = drawPathology(cls, g, u, body);
  paintChest(data, width, height, body, sick, cls);
  paintStreaks(data, width, height, sick.streaks);
  const gain = u(0.8, 1.2);
  const offset = u(-0.06, 0.06);
  const noise = u(0.01, 0.04);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.min(1, Math.max(0, data[i]! * gain + offset + noise * g.normal()));
  return { width, height, data };
}

type Uniform = (a: number, b: number) => number;
type Anatomy = ReturnType<typeof drawAnatomy>;
type Pathology = ReturnType<typeof drawPathology>;

/** Body, lungs and ribs: size, position and densities. */
function drawAnatomy(u: Uniform, width: number, height: number) {
  const cx = width * u(0.46, 0.54);
  const cy = height * u(0.48, 0.56);
  const bodyW = width * u(0.4, 0.48);
  const bodyH = height * u(0.42, 0.5);
  const lungW = bodyW * u(0.34, 0.42);
  const lungH = bodyH * u(0.62, 0.75);
  const lungGap = bodyW * u(0.42, 0.52);
  const ribSpacing = lungH * u(0.16, 0.22);
  const ribCurve = u(0.6, 1.4);
  const tissue = u(0.35, 0.5);
  const air = u(0.08, 0.16);
  return { cx, cy, bodyW, bodyH, lungW, lungH, lungGap, ribSpacing, ribCurve, tissue, air };
}

/** A consolidation (centre in one lung) or interstitial streaks (both lungs); drawn for every class, used by its own. */
function drawPathology(cls: SyntheticClass, g: Generator, u: Uniform, a: Anatomy) {
  const side = g.uniform() < 0.5 ? -1 : 1;
  // Lobar consolidation: large and dense, so it survives downscaling to 32 x 32.
  const consol = {
    x: a.cx + side * a.lungGap * 0.5 + u(-0.15, 0.15) * a.lungW,
    y: a.cy + u(-0.35, 0.45) * a.lungH,
    r: a.lungW * u(0.6, 0.9),
    a: u(0.35, 0.55),
  };
  // Interstitial pattern: coarse reticular streaks over both lungs, plus haze.
  const haze = u(0.1, 0.18);
  const streaks = Array.from({ length: cls === 2 ? 30 + g.int(20) : 0 }, () => ({
    x: a.cx + (g.uniform() < 0.5 ? -1 : 1) * a.lungGap * 0.5 + u(-0.8, 0.8) * a.lungW,
    y: a.cy + u(-0.8, 0.8) * a.lungH,
    angle: u(0, Math.PI),
    len: a.lungW * u(0.25, 0.5),
    a: u(0.1, 0.2),
  }));
  return { consol, haze, streaks };
}

/** Every pixel: body, lungs, ribs, spine, and the class's consolidation or haze. */
function paintChest(
  data: Float32Array,
  width: number,
  height: number,
  a: Anatomy,
  p: Pathology,
  cls: SyntheticClass,
): void {
  const { cx, cy, bodyW, bodyH, lungW, lungH, lungGap, ribSpacing, ribCurve, tissue, air } = a;
  const consol = p.consol;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0.04;
      const bx = (x - cx) / bodyW;
      const by = (y - cy) / bodyH;
      const inBody = bx * bx + by * by;
      if (inBody < 1) v = tissue * (1 - 0.3 * inBody);
      let inLung = false;
      for (const s of [-1, 1]) {
        const lx = (x - (cx + (s * lungGap) / 2)) / lungW;
        const ly = (y - cy) / lungH;
        const d = lx * lx + ly * ly;
        if (d < 1) {
          inLung = true;
          v = air + (tissue - air) * d ** 3;
        }
      }
      // Ribs: bright arcs, stronger at the sides.
      const ry = y - cy + lungH + ribCurve * ((x - cx) / bodyW) ** 2 * ribSpacing * 2;
      const phase = ((ry % ribSpacing) + ribSpacing) % ribSpacing;
      if (inBody < 1 && Math.abs(phase - ribSpacing / 2) < ribSpacing * 0.16) v += 0.12;
      // Spine and mediastinum: a bright central band.
      if (Math.abs(x - cx) < bodyW * 0.12 && Math.abs(y - cy) < bodyH * 0.95)
        v = Math.max(v, 0.55 + 0.1 * Math.cos(y * 0.9));
      if (inLung && cls === 1) {
        const dx = (x - consol.x) / consol.r;
        const dy = (y - consol.y) / (consol.r * 1.3);
        v += consol.a * Math.exp(-(dx * dx + dy * dy) * 1.5);
      }
      if (inLung && cls === 2) v += p.haze;
      data[y * width + x] = v;
    }
  }
}

/** Interstitial streaks: short bright lines scattered over both lungs. */
function paintStreaks(data: Float32Array, width: number, height: number, streaks: Pathology['streaks']): void {
  const thick = Math.max(1, Math.round(width / 48));
  for (const s of streaks) {
    for (let t = -s.len / 2; t < s.len / 2; t += 0.5) {
      const x0 = Math.round(s.x + t * Math.cos(s.angle));
      const y0 = Math.round(s.y + t * Math.sin(s.angle));
      for (let dy = 0; dy < thick; dy++) {
        for (let dx = 0; dx < thick; dx++) {
          const x = x0 + dx;
          const y = y0 + dy;
          if (x >= 0 && x < width && y >= 0 && y < height) data[y * width + x]! += s.a / thick;
        }
      }
    }
  }
}
