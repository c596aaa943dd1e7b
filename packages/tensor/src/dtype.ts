export type DType = 'float32' | 'int32';
export type DeviceName = 'webgpu' | 'cpu';
export type TypedArray = Float32Array | Int32Array;

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int32: 4 };

export function arrayFor(dtype: DType, n: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
}

export function checkDType(dtype: string): DType {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`unsupported dtype '${dtype}': pneumo tensors are float32 or int32`);
  }
  return dtype;
}
