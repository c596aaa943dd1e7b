export { DataLoader, type Batch, type Dataset, type DataLoaderOptions } from './data-loader.js';
export { TensorDataset, type TensorBatch } from './tensor-dataset.js';
export {
  fit,
  earlyStopping,
  NonFiniteLossError,
  type Callback,
  type BatchEnd,
  type EpochEnd,
  type FitOptions,
} from './fit.js';
