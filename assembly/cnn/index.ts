// The CNN engine's WebAssembly kernels; the export names are the kernel names of src/real/nn/kernels.ts.
export { gemmNN, gemmNT, gemmTN } from './gemm';
export {
  fill,
  copy,
  addTo,
  add,
  im2col,
  col2im,
  biasGrad,
  relu,
  reluBack,
  maxpool,
  maxpoolBack,
  gpool,
  gpoolBack,
  transpose,
  softmaxCE,
} from './tensor';
