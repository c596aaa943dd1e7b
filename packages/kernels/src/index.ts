export { BufferPool, bucketSize, type PoolStats } from './buffer-pool.js';
export { GpuContext, type BufferBinding, type ContextOptions, type ContextStats } from './context.js';
export { type AdapterDescription, adapterLimits, adapterName, describeAdapter, isSoftwareAdapter } from './adapter.js';
export { defineKernel, type Kernel, type BindingSpec, ENTRY_BUILTINS, LINEAR_WORKGROUP } from './kernel.js';
export { paramBytes, paramStruct, writeParams, MAX_PARAM_RANK, type ParamSpec, type ParamValues } from './params.js';
export * from './kernels/index.js';
export { Tuner, adapterKey, type TuneStore, type TuneBench, type TuneResult } from './tuner.js';
export { Profiler, type ProfileRow, type RecordedDispatch } from './profiler.js';
export * as reference from './reference.js';
