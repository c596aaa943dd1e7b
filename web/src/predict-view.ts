/**
 * The Predict view: X-rays dropped or picked are classified with the loaded
 * checkpoint (the same preprocessing and model as `pneumo predict`), and
 * Grad-CAM is drawn over each.
 */
import { classifyImage, gradCamOf } from '@pneumo/pneumonia/browser';
import { DEFAULT_MAX_IMAGE_MB, overlayRgba } from '@pneumo/pneumonia/browser';
import { $, el, errorText, fileBytes } from './dom.js';
import {
  availableShippedModels,
  type LoadedModel,
  modelFromFiles,
  modelFromUrl,
  SHIPPED_MODEL,
} from './model-source.js';

let current: LoadedModel | null = null;
/** Whether an image was classified in this tab yet (the first one compiles the kernels). */
let classifiedOnce = false;
/** Images are classified one after another: the GPU is one queue anyway. */
let queue: Promise<void> = Promise.resolve();

function setModel(m: LoadedModel): void {
  current?.model.dispose();
  current = m;
  const name = $('model-name');
  const trained = m.info.metrics && typeof m.info.metrics === 'object' ? m.info.options?.data : undefined;
  const arch = m.info.architecture === 'resnet' ? `, ResNet at ${m.info.inputSize}x${m.info.inputSize}` : '';
  name.textContent = `${m.name} (${m.info.classes.join(' / ')}${arch}, epoch ${m.info.epoch})`;
  name.title = typeof trained === 'string' ? `trained on ${trained}` : '';
  name.dataset.loaded = '1';
}

function showLoadError(e: unknown): void {
  const name = $('model-name');
  name.textContent = `could not load: ${errorText(e)}`;
  name.dataset.loaded = '0';
}

function bars(probabilities: Record<string, number>): HTMLElement {
  const box = el('div');
  for (const [cls, p] of Object.entries(probabilities)) {
    const fill = el('span', { className: 'fill' });
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    box.append(el('div', { className: 'bar' }, cls, el('div', {}, fill), `${(100 * p).toFixed(1)}%`));
  }
  return box;
}

async function classify(file: File): Promise<void> {
  const card = el('div', { className: 'card' }, el('h3', {}, file.name));
  card.dataset.file = file.name;
  $('results').prepend(card);
  if (!current) {
    card.classList.add('failed');
    card.append('Load a checkpoint first.');
    card.dataset.error = 'no model';
    return;
  }
  const m = current;
  // The first image of a session compiles and tunes the kernels (seconds on a
  // software adapter); say so instead of showing nothing.
  const pending = el(
    'p',
    { className: 'meta pending' },
    classifiedOnce
      ? 'Classifying…'
      : 'Compiling the kernels for this GPU (once; later images take a fraction of the time)…',
  );
  card.append(pending);
  try {
    // Checked before reading: a mislabelled 1.5 GB file is not pulled into the tab whole.
    if (file.size > DEFAULT_MAX_IMAGE_MB * 2 ** 20) {
      throw new Error(
        `the file is ${(file.size / 2 ** 20).toFixed(0)} MB, over the ${DEFAULT_MAX_IMAGE_MB} MB limit for an image`,
      );
    }
    const bytes = await fileBytes(file);
    const t0 = performance.now();
    const result = await classifyImage(m.model, m.info, bytes);
    classifiedOnce = true;
    const ms = performance.now() - t0;
    const cam = await gradCamOf(m.model, m.info, bytes, result.class);
    const canvas = el('canvas', { className: 'cam', width: cam.image.width, height: cam.image.height });
    canvas
      .getContext('2d')!
      .putImageData(
        new ImageData(overlayRgba(cam.image, cam.cam, cam.camSize), cam.image.width, cam.image.height),
        0,
        0,
      );
    canvas.dataset.drawn = '1';
    const op = result.pneumonia;
    card.append(
      el('div', { className: 'verdict' }, result.class),
      bars(result.probabilities),
      ...(op
        ? [
            el(
              'p',
              { className: 'operating-point' },
              `Pneumonia vs normal at the model's operating point: ${op.positive ? 'PNEUMONIA' : 'NORMAL'} (score ${op.score.toFixed(3)}, threshold ${op.threshold.toFixed(3)}, chosen on ${m.info.operatingPoint?.chosenOn ? 'X-rays of other patients (a dev set)' : 'validation'} for ${(100 * (m.info.operatingPoint?.targetSensitivity ?? 0)).toFixed(0)}% sensitivity)`,
            ),
          ]
        : []),
      ...(m.info.trainedOn?.kind === 'synthetic'
        ? [
            el(
              'p',
              { className: 'warning' },
              'This model was trained on synthetic images: its output says nothing about real X-rays.',
            ),
          ]
        : []),
      canvas,
      el(
        'p',
        { className: 'meta' },
        `${ms.toFixed(0)} ms to classify${m.info.members ? ` (an ensemble of ${m.info.members} networks)` : ''}; Grad-CAM for ${result.class} on ${m.info.architecture === 'resnet' ? "the ResNet's last stage" : 'the last convolution'}${m.info.members ? ', averaged over the members' : ''}`,
      ),
    );
    pending.remove();
    card.dataset.probs = JSON.stringify(result.probabilities);
    if (op) card.dataset.pneumonia = op.positive ? '1' : '0';
    card.dataset.ms = ms.toFixed(1);
  } catch (e) {
    pending.remove();
    card.classList.add('failed');
    card.append(errorText(e));
    card.dataset.error = errorText(e);
  }
}

function enqueue(files: Iterable<File>): void {
  for (const f of files) queue = queue.then(() => classify(f));
}

export async function setUpPredictView(): Promise<void> {
  const modelFiles = $<HTMLInputElement>('model-files');
  modelFiles.addEventListener('change', () => {
    modelFromFiles([...(modelFiles.files ?? [])]).then(setModel, showLoadError);
    modelFiles.value = '';
  });
  $('model-url-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    modelFromUrl($<HTMLInputElement>('model-url').value.trim()).then(setModel, showLoadError);
  });
  const images = $<HTMLInputElement>('images');
  images.addEventListener('change', () => {
    enqueue([...(images.files ?? [])]);
    images.value = '';
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    enqueue([...(ev.dataTransfer?.files ?? [])]);
  });
  // ?model=<url> opens that checkpoint; else the shipped model, if the server has one.
  const wanted = new URLSearchParams(location.search).get('model');
  const shipped = await availableShippedModels();
  setUpShippedChoice(wanted, shipped);
  try {
    const first = wanted ?? shipped.find((m) => m.url === SHIPPED_MODEL)?.url;
    if (first) setModel(await modelFromUrl(first));
  } catch (e) {
    showLoadError(e);
  }
}

/**
 * A choice between the shipped models when the server has more than one
 * (the blog CNN, the default, and the ResNet); it shows the one open, and
 * none after a checkpoint of the user's own is opened.
 */
function setUpShippedChoice(wanted: string | null, models: readonly { url: string; label: string }[]): void {
  if (models.length < 2) return;
  const select = $<HTMLSelectElement>('shipped-models');
  select.append(
    el('option', { value: '' }, '(your checkpoint)'),
    ...models.map((m) => el('option', { value: m.url }, m.label)),
  );
  select.value = wanted ? (models.find((m) => m.url === wanted)?.url ?? '') : models[0]!.url;
  $('shipped-choice').hidden = false;
  select.addEventListener('change', () => {
    if (select.value) modelFromUrl(select.value).then(setModel, showLoadError);
  });
  const mark = () => (select.value = '');
  $('model-files').addEventListener('change', mark);
  $('model-url-form').addEventListener('submit', mark);
}
