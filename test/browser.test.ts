/**
 * The web app in a real browser: Debian's Chromium, driven by
 * playwright-core, WebGPU on SwiftShader (the adapter of a browser without a
 * GPU), the page served on 127.0.0.1. Never skipped: without Chromium the
 * tests fail and say how to install it.
 *
 * - a checkpoint and an X-ray give the page the probabilities `pneumo
 *   predict` gives (within 1e-4), and the Grad-CAM canvas is drawn;
 * - a few training steps in the page lower the loss, and the page's WebGPU
 *   gradients of a small conv net equal Node's cpu backend;
 * - a page without WebGPU says so.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, noGrad, randn, resnet, tidy } from '@pneumo/nn';
import {
  blogCnn,
  Ensemble,
  encodeJpeg,
  encodePng,
  predict,
  renderXray,
  resizeArea,
  saveCheckpoint,
} from '@pneumo/pneumonia';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientCheck, worstDifference } from '../web/src/gradient-check.js';
import { requireWebGpu } from './support/webgpu.js';
import { testCheckpointInfo } from './support/checkpoint-info.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.PNEUMO_CHROMIUM ?? '/usr/lib/chromium/chromium';
const ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
/** Screenshots for the README land here (ignored by git; copied by hand). */
const SCREENSHOTS = join(root, 'web', 'dist', 'screenshots');

let server: Server;
let url: string;
let shippedServer: Server;
let shippedUrl: string;
let browser: BrowserContext;
let dir: string;
let weights: string;
let xray: string;

async function openPage(init?: () => void, at = url): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  if (init) await page.addInitScript(init);
  await page.goto(at);
  await page.waitForSelector('body[data-ready="1"], body[data-webgpu="none"]', { state: 'attached', timeout: 60_000 });
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PNEUMO_CHROMIUM)`,
    );
  }
  await requireWebGpu();
  execFileSync(process.execPath, [join(root, 'web', 'build.mjs')], { stdio: 'inherit' });
  const { startServer } = (await import(join(root, 'web', 'serve.mjs'))) as {
    startServer(port: number, o?: { models?: string }): Promise<Server>;
  };
  const empty = mkdtempSync(join(tmpdir(), 'pneumo-no-models-'));
  server = await startServer(0, { models: empty });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'pneumo-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 760 },
  });
  // A checkpoint (random weights: only agreement matters) and an X-ray.
  dir = mkdtempSync(join(tmpdir(), 'pneumo-web-'));
  const model = blogCnn({ generator: new Generator(21) });
  const base = join(dir, 'model');
  await saveCheckpoint(base, model, testCheckpointInfo({ normalization: { mean: 0.42, std: 0.21 }, epoch: 1 }));
  model.dispose();
  weights = `${base}.safetensors`;
  // A second server ships that checkpoint as the project's model.
  const models = join(dir, 'models');
  mkdirSync(models);
  for (const ext of ['json', 'safetensors']) copyFileSync(`${base}.${ext}`, join(models, `pneumo-blog-cnn.${ext}`));
  // And the ResNet the project ships, as it ships it.
  for (const ext of ['json', 'safetensors'])
    copyFileSync(join(root, 'models', `pneumo-resnet.${ext}`), join(models, `pneumo-resnet.${ext}`));
  shippedServer = await startServer(0, { models });
  shippedUrl = `http://127.0.0.1:${(shippedServer.address() as { port: number }).port}/`;
  xray = join(dir, 'person7_bacteria_1.jpeg');
  writeFileSync(xray, encodeJpeg(resizeArea(renderXray(1, new Generator(5), 160, 128), 160, 128)));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  shippedServer?.close();
});

describe('the web app in Chromium (SwiftShader)', () => {
  it("gives pneumo predict's probabilities for a checkpoint and an X-ray, and draws Grad-CAM", async () => {
    const page = await openPage();
    expect(await page.textContent('#adapter')).toMatch(/swiftshader/i);
    await page.setInputFiles('#model-files', [weights, weights.replace(/\.safetensors$/, '.json')]);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    await page.setInputFiles('#images', [xray]);
    // The first image compiles the kernels: the card says so until its result replaces the line.
    expect(await page.textContent('.card .pending')).toMatch(/Compiling the kernels for this GPU \(once/);
    const card = await page.waitForSelector('.card[data-probs], .card[data-error]', { timeout: 240_000 });
    expect(await card.getAttribute('data-error')).toBeNull();
    expect(await page.$('.card .pending')).toBeNull();
    const inPage = JSON.parse((await card.getAttribute('data-probs'))!) as Record<string, number>;
    const [inNode] = await predict(weights, [xray]);
    for (const cls of ['NORMAL', 'BACTERIA', 'VIRUS'])
      expect(Math.abs(inPage[cls]! - inNode!.probabilities[cls]!)).toBeLessThan(1e-4);
    // The overlay is drawn: the canvas has the X-ray's size and is not blank.
    const drawn = await page.$eval('.card canvas.cam', (c) => {
      const canvas = c as HTMLCanvasElement;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let min = 255;
      let max = 0;
      for (let i = 0; i < px.length; i += 4) {
        min = Math.min(min, px[i]!);
        max = Math.max(max, px[i]!);
      }
      return { w: canvas.width, h: canvas.height, range: max - min, flag: canvas.dataset.drawn };
    });
    expect(drawn).toMatchObject({ w: 160, h: 128, flag: '1' });
    expect(drawn.range).toBeGreaterThan(50);
    console.log(
      `page: classified in ${await card.getAttribute('data-ms')} ms (first image: includes compiling the kernels)`,
    );
    // A second image shows the steady-state time.
    await page.setInputFiles('#images', [xray]);
    await page.waitForFunction(() => document.querySelectorAll('.card[data-probs]').length === 2, null, {
      timeout: 120_000,
    });
    console.log(`page: second image classified in ${await page.getAttribute('.card[data-probs]', 'data-ms')} ms`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'predict.png') });
    await page.close();
  });

  it('refuses a non-image, a PNG whose header claims 20000x20000 and a 65 MB file, each on its own card, then classifies the next X-ray', async () => {
    const page = await openPage();
    await page.setInputFiles('#model-files', [weights, weights.replace(/\.safetensors$/, '.json')]);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    // A real 4x4 PNG whose IHDR then claims 20000 x 20000 (4.8 GB of RGBA if believed).
    const png = Buffer.from(encodePng({ width: 4, height: 4, data: new Float32Array(16).fill(0.5) }));
    png.writeUInt32BE(20000, 16);
    png.writeUInt32BE(20000, 20);
    // Dropped as files the page makes itself: the 65 MB one need not cross the test protocol.
    await page.evaluate(
      (pngBytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File(['hello, not an image'], 'notes.jpeg'));
        dt.items.add(new File([new Uint8Array(pngBytes)], 'huge-header.png'));
        dt.items.add(new File([new Uint8Array(65 << 20)], 'big.jpeg'));
        document
          .getElementById('drop')!
          .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [...png],
    );
    await page.waitForFunction(() => document.querySelectorAll('.card[data-error]').length === 3, null, {
      timeout: 60_000,
    });
    const errors = Object.fromEntries(
      await page.$$eval('.card[data-error]', (cards) =>
        cards.map((c) => [(c as HTMLElement).dataset.file!, (c as HTMLElement).dataset.error!]),
      ),
    );
    expect(errors['notes.jpeg']).toMatch(/not a JPEG or PNG image/);
    expect(errors['huge-header.png']).toMatch(/unsupported image size 20000x20000/);
    expect(errors['big.jpeg']).toMatch(/65 MB, over the 64 MB limit/);
    await page.setInputFiles('#images', [xray]);
    const card = await page.waitForSelector('.card[data-probs]', { timeout: 240_000 });
    expect(Object.keys(JSON.parse((await card.getAttribute('data-probs'))!) as object)).toEqual([
      'NORMAL',
      'BACTERIA',
      'VIRUS',
    ]);
    await page.close();
  });

  it("gives pneumo predict's probabilities for a seed ensemble with a class-prior shift, and says what it is", async () => {
    const ensemble = new Ensemble(
      [blogCnn({ generator: new Generator(31) }), blogCnn({ generator: new Generator(32) })],
      3,
    );
    const base = join(dir, 'ensemble');
    const info = testCheckpointInfo({
      members: 2,
      normalization: { mean: 0.45, std: 0.25 },
      priorShift: { logOffsets: [1.5, 0, -0.5], chosenOn: 'dev: test (3 images)' },
      operatingPoint: { threshold: 0.4, targetSensitivity: 0.95, chosenOn: 'dev: test (3 images)' },
    });
    await saveCheckpoint(base, ensemble, info);
    ensemble.dispose();
    const page = await openPage();
    await page.setInputFiles('#model-files', [`${base}.safetensors`, `${base}.json`]);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    await page.setInputFiles('#images', [xray]);
    // The first image compiles the kernels: the card says so until its result replaces the line.
    expect(await page.textContent('.card .pending')).toMatch(/Compiling the kernels for this GPU \(once/);
    const card = await page.waitForSelector('.card[data-probs], .card[data-error]', { timeout: 240_000 });
    expect(await card.getAttribute('data-error')).toBeNull();
    expect(await page.$('.card .pending')).toBeNull();
    const inPage = JSON.parse((await card.getAttribute('data-probs'))!) as Record<string, number>;
    const [inNode] = await predict(base, [xray]);
    for (const cls of ['NORMAL', 'BACTERIA', 'VIRUS'])
      expect(Math.abs(inPage[cls]! - inNode!.probabilities[cls]!)).toBeLessThan(1e-4);
    expect(await card.getAttribute('data-pneumonia')).toBe(inNode!.pneumonia!.positive ? '1' : '0');
    expect(await card.textContent()).toMatch(/an ensemble of 2 networks/);
    expect(await card.textContent()).toMatch(/chosen on X-rays of other patients \(a dev set\)/);
    await page.close();
  });

  it("gives pneumo predict's probabilities for a ResNet checkpoint, and draws Grad-CAM on its last stage", async () => {
    const config = {
      inChannels: 3,
      inputSize: 40,
      classes: 3,
      widths: [8, 16],
      blocks: [1, 1],
      stem: 'small' as const,
    };
    const net = resnet(config, { generator: new Generator(41) });
    // Running statistics that are not the defaults: a few training-mode batches.
    noGrad(() => {
      for (let i = 0; i < 3; i++)
        tidy(() =>
          net.forward(
            randn([4, 3, 40, 40], { generator: new Generator(50 + i) })
              .mul(0.3)
              .add(0.2),
          ),
        );
    });
    const base = join(dir, 'resnet');
    await saveCheckpoint(
      base,
      net,
      testCheckpointInfo({
        architecture: 'resnet',
        resnet: config,
        outputs: 3,
        inputSize: 40,
        normalization: { mean: 0.45, std: 0.22 },
      }),
    );
    net.dispose();
    const page = await openPage();
    await page.setInputFiles('#model-files', [`${base}.safetensors`, `${base}.json`]);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    expect(await page.textContent('#model-name')).toMatch(/ResNet at 40x40/);
    await page.setInputFiles('#images', [xray]);
    // The first image compiles the kernels: the card says so until its result replaces the line.
    expect(await page.textContent('.card .pending')).toMatch(/Compiling the kernels for this GPU \(once/);
    const card = await page.waitForSelector('.card[data-probs], .card[data-error]', { timeout: 240_000 });
    expect(await card.getAttribute('data-error')).toBeNull();
    expect(await page.$('.card .pending')).toBeNull();
    const inPage = JSON.parse((await card.getAttribute('data-probs'))!) as Record<string, number>;
    const [inNode] = await predict(base, [xray]);
    for (const cls of ['NORMAL', 'BACTERIA', 'VIRUS'])
      expect(Math.abs(inPage[cls]! - inNode!.probabilities[cls]!)).toBeLessThan(1e-4);
    expect(await card.textContent()).toMatch(/Grad-CAM for \w+ on the ResNet's last stage/);
    expect(await page.$eval('.card canvas.cam', (c) => (c as HTMLCanvasElement).dataset.drawn)).toBe('1');
    await page.close();
  });

  it("opens the shipped ResNet with ?model=models/pneumo-resnet.json and gives pneumo predict --model resnet's probabilities", async () => {
    const page = await openPage(undefined, `${shippedUrl}?model=models/pneumo-resnet.json`);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    expect(await page.textContent('#model-name')).toMatch(
      /^pneumo-resnet \(NORMAL \/ BACTERIA \/ VIRUS, ResNet at 64x64/,
    );
    expect(await page.inputValue('#shipped-models')).toBe('models/pneumo-resnet.json');
    await page.setInputFiles('#images', [xray]);
    // The first image compiles the kernels: the card says so until its result replaces the line.
    expect(await page.textContent('.card .pending')).toMatch(/Compiling the kernels for this GPU \(once/);
    const card = await page.waitForSelector('.card[data-probs], .card[data-error]', { timeout: 240_000 });
    expect(await card.getAttribute('data-error')).toBeNull();
    expect(await page.$('.card .pending')).toBeNull();
    const inPage = JSON.parse((await card.getAttribute('data-probs'))!) as Record<string, number>;
    const [inNode] = await predict(join(root, 'models', 'pneumo-resnet'), [xray]);
    for (const cls of ['NORMAL', 'BACTERIA', 'VIRUS'])
      expect(Math.abs(inPage[cls]! - inNode!.probabilities[cls]!)).toBeLessThan(1e-4);
    expect(await card.getAttribute('data-pneumonia')).toBe(inNode!.pneumonia!.positive ? '1' : '0');
    await page.close();
  });

  it('opens with the model the server ships, and with none when it ships none', async () => {
    const page = await openPage(undefined, shippedUrl);
    await page.waitForSelector('#model-name[data-loaded="1"]', { state: 'attached', timeout: 60_000 });
    expect(await page.textContent('#model-name')).toMatch(/^pneumo-blog-cnn \(NORMAL \/ BACTERIA \/ VIRUS/);
    // The server ships two models: a choice between them, showing the one open.
    expect(await page.isVisible('#shipped-models')).toBe(true);
    expect(await page.inputValue('#shipped-models')).toBe('models/pneumo-blog-cnn.json');
    await page.selectOption('#shipped-models', 'models/pneumo-resnet.json');
    await page.waitForFunction(
      () => /ResNet at 64x64/.test(document.getElementById('model-name')!.textContent ?? ''),
      null,
      {
        timeout: 60_000,
      },
    );
    await page.close();
    const bare = await openPage();
    expect(await bare.textContent('#model-name')).toBe('none loaded');
    expect(await bare.isVisible('#shipped-models')).toBe(false);
    await bare.close();
  });

  it('trains in the tab with a falling loss, and its gradients equal the cpu backend in Node', async () => {
    const page = await openPage();
    await page.click('button[data-view="train"]');
    await page.fill('#train-per-class', '16');
    await page.fill('#train-batch', '8');
    await page.fill('#train-steps', '40');
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-done="1"], #train-status[data-done="error"]', {
      state: 'attached',
      timeout: 240_000,
    });
    expect(await page.getAttribute('#train-status', 'data-done')).toBe('1');
    const losses = JSON.parse((await page.getAttribute('#train-status', 'data-losses'))!) as number[];
    expect(losses).toHaveLength(40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-10))).toBeLessThan(0.9 * mean(losses.slice(0, 10)));
    console.log(
      `page: small CNN training at ${await page.getAttribute('#train-status', 'data-img-per-s')} img/s (batch 8)`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'train.png') });

    await page.click('button[data-view="check"]');
    await page.click('#check-run');
    await page.waitForSelector('#check-status[data-done]', { state: 'attached', timeout: 120_000 });
    const result = JSON.parse((await page.textContent('#check-json'))!) as {
      webgpu: Parameters<typeof worstDifference>[0];
      worst: number;
    };
    expect(result.worst).toBeLessThan(1e-4);
    const cpu = await gradientCheck('cpu');
    expect(worstDifference(result.webgpu, cpu)).toBeLessThan(1e-4);
    await page.close();
  });

  it('trains a ResNet in the tab (batch norm, residual blocks): the loss falls over 30 steps', async () => {
    const page = await openPage();
    await page.click('button[data-view="train"]');
    await page.selectOption('#train-net', 'resnet');
    await page.fill('#train-per-class', '16');
    await page.fill('#train-batch', '8');
    await page.fill('#train-steps', '30');
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-done="1"], #train-status[data-done="error"]', {
      state: 'attached',
      timeout: 240_000,
    });
    expect(await page.textContent('#train-status')).not.toMatch(/failed/);
    expect(await page.getAttribute('#train-status', 'data-done')).toBe('1');
    const losses = JSON.parse((await page.getAttribute('#train-status', 'data-losses'))!) as number[];
    expect(losses).toHaveLength(30);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-8))).toBeLessThan(0.9 * mean(losses.slice(0, 8)));
    console.log(
      `page: ResNet training at ${await page.getAttribute('#train-status', 'data-img-per-s')} img/s (batch 8), loss ${mean(losses.slice(0, 8)).toFixed(3)} -> ${mean(losses.slice(-8)).toFixed(3)}`,
    );
    await page.close();
  });

  it('says so, and disables the app, in a browser without WebGPU', async () => {
    const page = await openPage(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    expect(await page.getAttribute('body', 'data-webgpu')).toBe('none');
    expect(await page.isVisible('#no-webgpu')).toBe(true);
    expect(await page.textContent('#no-webgpu')).toMatch(/needs WebGPU.*navigator\.gpu is missing/);
    expect(await page.isDisabled('#train-start')).toBe(true);
    await page.close();
  });
});
