// What the synthetic study loads when it first runs: the experiment, its engines and the kernels' thread setting.
export { runExperiment } from './run.js';
export { getEngine } from '../engine/registry.js';
export { setKernelThreads } from '../kernels/threads.js';
