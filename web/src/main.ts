/**
 * The pneumo web app: WebGPU from navigator.gpu (the library's browser
 * entry), three views (predict with Grad-CAM, train in the tab, check the
 * GPU against the cpu backend). A browser without WebGPU gets a message,
 * not a silent failure.
 */
import { adapterName } from '@pneumo/kernels';
import { gpuContext, init } from '@pneumo/nn';
import { $, errorText } from './dom.js';
import { gradientCheck, worstDifference } from './gradient-check.js';
import { setUpPredictView } from './predict-view.js';
import { setUpTrainView } from './train-view.js';

function setUpTabs(): void {
  const buttons = document.querySelectorAll<HTMLButtonElement>('nav button');
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const other of buttons) {
        other.classList.toggle('active', other === b);
        $(`view-${other.dataset.view}`).hidden = other !== b;
      }
    });
  }
}

function setUpCheckView(): void {
  $('check-run').addEventListener('click', async () => {
    const status = $('check-status');
    status.textContent = 'running…';
    try {
      const gpu = await gradientCheck('webgpu');
      const cpu = await gradientCheck('cpu');
      const worst = worstDifference(gpu, cpu);
      status.textContent = `loss ${gpu.loss.toFixed(6)} (cpu ${cpu.loss.toFixed(6)}); largest gradient difference ${worst.toExponential(2)} of the gradient's scale: ${worst < 1e-4 ? 'OK' : 'MISMATCH'}`;
      const pre = $('check-json');
      pre.textContent = JSON.stringify({ webgpu: gpu, worst });
      status.dataset.done = '1';
    } catch (e) {
      status.textContent = `check failed: ${errorText(e)}`;
      status.dataset.done = 'error';
    }
  });
}

async function start(): Promise<void> {
  setUpTabs();
  const adapter = $('adapter');
  try {
    await init({ device: 'webgpu' });
  } catch (e) {
    adapter.textContent = 'no WebGPU';
    const box = $('no-webgpu');
    box.textContent = `pneumo needs WebGPU and this browser does not offer it. ${errorText(e)}`;
    box.hidden = false;
    document.body.dataset.webgpu = 'none';
    for (const b of document.querySelectorAll<HTMLButtonElement | HTMLInputElement>(
      'main button, main input, main select',
    ))
      b.disabled = true;
    return;
  }
  const ctx = gpuContext()!;
  adapter.textContent = `WebGPU adapter: ${adapterName(ctx.adapter)}; kernel class ${ctx.kernelClass}`;
  adapter.dataset.ready = '1';
  document.body.dataset.webgpu = 'ready';
  setUpTrainView();
  setUpCheckView();
  await setUpPredictView();
  document.body.dataset.ready = '1';
}

void start();
