/**
 * TensorFlow.js's webgpu backend on the same Dawn adapter pneumo uses, as
 * the baseline. TF.js asks navigator.gpu for an adapter; on llvmpipe that
 * needs the compatibility feature level, which the shim adds.
 */
import { create, globals } from 'webgpu';

export type Tf = typeof import('@tensorflow/tfjs-core');

export interface TfHandle {
  tf: Tf;
  /** Submits TF.js's queued work and waits for the GPU. */
  sync(): Promise<void>;
  adapter: string;
}

const keep: unknown[] = [];

export async function loadTfjs(adapter: 'llvmpipe' | 'swiftshader' | 'native'): Promise<TfHandle> {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  let gpu: GPU;
  let extra: GPURequestAdapterOptions = {};
  if (adapter === 'llvmpipe') {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = create(['backend=opengles']);
    extra = { featureLevel: 'compatibility' };
  } else {
    gpu = create(adapter === 'swiftshader' ? ['backend=vulkan'] : []);
  }
  keep.push(gpu);
  Object.defineProperty(globalThis, 'navigator', {
    value: {
      gpu: {
        requestAdapter: (o?: GPURequestAdapterOptions) => gpu.requestAdapter({ ...o, ...extra }),
        getPreferredCanvasFormat: () => 'rgba8unorm',
        wgslLanguageFeatures: gpu.wgslLanguageFeatures,
      },
    },
    configurable: true,
  });
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
  const backend = tf.backend() as unknown as {
    submitQueue(): void;
    endComputePassEncoder(): void;
    commandEncoder: GPUCommandEncoder | null;
    device: GPUDevice;
  };
  return {
    tf,
    adapter,
    sync: async () => {
      backend.endComputePassEncoder();
      if (backend.commandEncoder) backend.submitQueue();
      await backend.device.queue.onSubmittedWorkDone();
    },
  };
}
