/**
 * Tensors on WebGPU: matmul + relu + sum, backward, and the same on the cpu
 * reference backend; the gradients agree.
 *
 *   npm run demo
 */
import { init, manualSeed, randn, tidy, type Tensor } from '@pneumo/nn/node';

const device = await init();

async function gradients(on: 'webgpu' | 'cpu') {
  manualSeed(42);
  const x = randn([4, 8], { device: on });
  const w = randn([8, 5], { device: on, requiresGrad: true });
  const loss: Tensor = tidy(() => x.matmul(w).relu().sum());
  loss.backward();
  const result = { loss: await loss.item(), grad: await w.grad!.data(), text: await w.grad!.format() };
  for (const t of [x, w, loss]) t.dispose();
  return result;
}

if (device !== 'webgpu') {
  console.log('No WebGPU adapter: showing the cpu backend only.');
}
const gpu = await gradients(device);
const cpu = await gradients('cpu');
let maxDiff = 0;
for (let i = 0; i < cpu.grad.length; i++) maxDiff = Math.max(maxDiff, Math.abs(gpu.grad[i]! - cpu.grad[i]!));

console.log(`loss on ${device}: ${gpu.loss.toFixed(6)}   on cpu: ${cpu.loss.toFixed(6)}`);
console.log(`d loss / d w on ${device}:\n${gpu.text}`);
console.log(`max |${device} - cpu| over the gradient: ${maxDiff.toExponential(2)}`);
