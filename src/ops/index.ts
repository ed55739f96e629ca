export { Tensor, shapeSize } from './tensor.js';
export type { Kernels } from './kernels.js';
export { referenceKernels } from './reference.js';
export { loadNative, nativeKernels, vectorIsa, type NativeAddon, type NativeLoad } from './native.js';
export { kernels, useBackend, profileKernels, type BackendName } from './backend.js';
export * from './ops.js';
export * from './storage.js';
export { Tape, Var } from './autograd.js';
export { seededRandom, randomArray, randomInt, gaussian } from './random.js';
