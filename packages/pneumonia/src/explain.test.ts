import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '@pneumo/nn';
import { requireWebGpu } from '@pneumo/test-support';
import { saveCheckpoint } from './checkpoint.js';
import { encodeJpeg, renderXray } from './data/synthetic.js';
import { explainToFile } from './explain.js';
import { blogCnn } from './model.js';
import { testCheckpointInfo } from '@pneumo/test-support';

beforeAll(requireWebGpu);

describe('Grad-CAM', () => {
  it('writes an overlay of the X-ray size and a map in [0, 1]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-cam-'));
    const model = blogCnn({ generator: new Generator(1) });
    await saveCheckpoint(join(dir, 'm'), model, testCheckpointInfo({ normalization: { mean: 0.3, std: 0.2 } }));
    model.dispose();
    const image = join(dir, 'x.jpeg');
    writeFileSync(image, encodeJpeg(renderXray(1, new Generator(2), 60, 48)));
    const out = join(dir, 'heat.png');
    const e = await explainToFile(join(dir, 'm.safetensors'), image, out, 'bacteria');
    expect(e.camSize).toBe(8);
    expect(e.cam.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Object.values(e.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([60, 48]);
    await expect(explainToFile(join(dir, 'm.safetensors'), image, out, 'cat')).rejects.toThrow("unknown class 'cat'");
  });
});
