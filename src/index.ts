/** spec-vla's public API: one entry point over the layers (ops -> model -> spec -> sim -> train -> apps). */
export * from './ops/index.js';
export { runKernelsBench, formatKernelsBench, type KernelsBenchOptions, type KernelsBenchResult } from './apps/bench-kernels.js';
export * from './spec/index.js';
export * from './model/index.js';
export * from './sim/index.js';
export * from './train/index.js';
