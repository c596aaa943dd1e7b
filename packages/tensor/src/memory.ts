import { backendFor, gpuContext } from './backend/registry.js';
import { liveTensorCount } from './scope.js';
import { storageCounters } from './storage.js';

export interface MemoryInfo {
  /** Tensor handles not yet disposed. */
  tensors: number;
  /** Device buffers owned by tensors (views share one). */
  storages: number;
  /** Bytes of those buffers (element counts x 4). */
  bytes: number;
  /** GPU pool numbers when a WebGPU device exists. */
  gpu?: { liveBuffers: number; liveBytes: number; pooledBuffers: number; pooledBytes: number; created: number };
}

/** Live tensor, buffer and byte counts: flat across training steps when nothing leaks. */
export function memory(): MemoryInfo {
  const info: MemoryInfo = { tensors: liveTensorCount(), ...storageCounters() };
  if (gpuContext()) {
    const s = backendFor('webgpu').stats();
    info.gpu = {
      liveBuffers: s.liveBuffers!,
      liveBytes: s.liveBytes!,
      pooledBuffers: s.pooledBuffers!,
      pooledBytes: s.pooledBytes!,
      created: s.created!,
    };
  }
  return info;
}
