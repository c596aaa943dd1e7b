import type { DeviceName, Generator } from '@pneumo/tensor';

/** Where a layer's parameters live and which generator initializes them. */
export interface LayerOptions {
  device?: DeviceName;
  generator?: Generator;
}
