/**
 * The Train view: a network trained from scratch in the tab on synthetic
 * X-rays, with a live loss / accuracy chart: the library training in a page.
 */
import {
  Adam,
  Conv2d,
  crossEntropy,
  Flatten,
  Generator,
  Linear,
  MaxPool2d,
  ReLU,
  type Module,
  resnet,
  Sequential,
  tensor,
  tidy,
} from '@pneumo/nn';
import {
  argmaxRow,
  blogCnn,
  DEFAULT_AUGMENT,
  fillBatch,
  predictProbs,
  renderXray,
  resizeArea,
  type SyntheticClass,
} from '@pneumo/pneumonia/browser';
import { drawChart, type Series } from './chart.js';
import { $, errorText } from './dom.js';

const SIZE = 32;
const CLASSES = ['NORMAL', 'BACTERIA', 'VIRUS'];
let stopRequested = false;

/** A small CNN for a quick demo (about 34 k parameters). */
function smallCnn(g: Generator): Sequential {
  return new Sequential(
    new Conv2d(3, 8, 3, { padding: 1, generator: g }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 3, { padding: 1, generator: g }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * 8 * 8, 32, { generator: g }),
    new ReLU(),
    new Linear(32, 3, { generator: g }),
  );
}

/** The networks the view trains, by the select's value. */
function network(net: string, g: Generator): { model: Module; lr: number } {
  if (net === 'blog') return { model: blogCnn({ outputs: 3, generator: g }), lr: 3e-4 };
  // A ResNet small enough for a tab: three stages of one basic block each.
  if (net === 'resnet')
    return {
      model: resnet({ widths: [16, 32, 64], blocks: [1, 1, 1], classes: 3, inputSize: SIZE }, { generator: g }),
      lr: 1e-3,
    };
  return { model: smallCnn(g), lr: 2e-3 };
}

/** Synthetic X-rays at the network's input size, with labels and a held-out fifth. */
function syntheticData(perClass: number, g: Generator) {
  const n = perClass * CLASSES.length;
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = (i % CLASSES.length) as SyntheticClass;
    pixels.set(resizeArea(renderXray(cls, g, 96, 96), SIZE, SIZE).data, i * SIZE * SIZE);
    labels[i] = cls;
  }
  let sum = 0;
  let sq = 0;
  for (const v of pixels) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / pixels.length;
  const norm = { mean, std: Math.sqrt(Math.max(1e-8, sq / pixels.length - mean * mean)) };
  const idx = Array.from({ length: n }, (_, i) => i);
  const val = idx.filter((i) => i % 5 === 4);
  const train = idx.filter((i) => i % 5 !== 4);
  return { pixels, labels, norm, train, val };
}

async function run(): Promise<void> {
  const status = $('train-status');
  const net = $<HTMLSelectElement>('train-net').value;
  const perClass = Number($<HTMLInputElement>('train-per-class').value);
  const batch = Number($<HTMLInputElement>('train-batch').value);
  const steps = Number($<HTMLInputElement>('train-steps').value);
  const g = new Generator(1);
  status.textContent = 'drawing synthetic X-rays…';
  status.dataset.done = '0';
  const d = syntheticData(perClass, g);
  const { model, lr } = network(net, g);
  const opt = new Adam(model.parameters(), { lr });
  const loss: Series = { label: 'training loss', colour: '#2e5bff', points: [], axis: 'left' };
  const acc: Series = { label: 'validation accuracy', colour: '#12b76a', points: [], axis: 'right' };
  const buf = new Float32Array(batch * 3 * SIZE * SIZE);
  const losses: number[] = [];
  let order: number[] = [];
  let images = 0;
  let seconds = 0;
  try {
    for (let step = 1; step <= steps && !stopRequested; step++) {
      if (order.length < batch)
        order = [
          ...order,
          ...d.train
            .map((i) => [g.uniform(), i] as const)
            .sort((a, b) => a[0] - b[0])
            .map(([, i]) => i),
        ];
      const ids = order.splice(0, batch);
      fillBatch(buf, d.pixels, SIZE, ids, d.norm, DEFAULT_AUGMENT, g);
      const t0 = performance.now();
      const x = tensor(buf.subarray(0, ids.length * 3 * SIZE * SIZE), { shape: [ids.length, 3, SIZE, SIZE] });
      const y = tensor(
        Int32Array.from(ids, (i) => d.labels[i]!),
        { shape: [ids.length] },
      );
      opt.zeroGrad();
      const l = tidy(() => crossEntropy(model.forward(x), y));
      l.backward();
      opt.step();
      const value = await l.item();
      for (const t of [l, x, y]) t.dispose();
      // The first step compiles the kernels: it does not count towards img/s.
      if (step > 1) {
        seconds += (performance.now() - t0) / 1000;
        images += ids.length;
      }
      losses.push(value);
      loss.points.push([step, value]);
      if (step % 10 === 0 || step === steps) {
        const probs = await predictProbs(model, d.pixels, SIZE, d.val, d.norm, 3);
        let right = 0;
        d.val.forEach((i, j) => {
          if (argmaxRow(probs, j, 3) === d.labels[i]) right++;
        });
        acc.points.push([step, right / d.val.length]);
      }
      drawChart($<HTMLCanvasElement>('train-chart'), [loss, acc], steps);
      const rate = seconds > 0 ? `${(images / seconds).toFixed(1)} img/s` : 'compiling kernels…';
      const last = acc.points.at(-1);
      status.textContent = `step ${step}/${steps}  loss ${value.toFixed(4)}  ${last ? `val. accuracy ${(100 * last[1]).toFixed(0)}%  ` : ''}${rate}`;
      status.dataset.losses = JSON.stringify(losses);
      status.dataset.imgPerS = seconds > 0 ? (images / seconds).toFixed(2) : '';
    }
    status.dataset.done = '1';
  } catch (e) {
    status.textContent = `training failed: ${errorText(e)}`;
    status.dataset.done = 'error';
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export function setUpTrainView(): void {
  const start = $<HTMLButtonElement>('train-start');
  const stop = $<HTMLButtonElement>('train-stop');
  $('train-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    stopRequested = false;
    start.disabled = true;
    stop.disabled = false;
    void run().finally(() => {
      start.disabled = false;
      stop.disabled = true;
    });
  });
  stop.addEventListener('click', () => (stopRequested = true));
}
