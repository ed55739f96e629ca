import type { Kernels } from './kernels.js';
import { loadNative, nativeKernels } from './native.js';
import { referenceKernels } from './reference.js';

export type BackendName = 'reference' | 'native';

let active: Kernels | undefined;

/**
 * The kernels every op runs on. Native when the addon is built, else the TypeScript reference (said
 * once on stderr). SPEC_VLA_BACKEND=reference|native forces one; forcing native without the addon throws.
 */
export function kernels(): Kernels {
  active ??= defaultKernels();
  return active;
}

function defaultKernels(): Kernels {
  const wanted = process.env.SPEC_VLA_BACKEND;
  if (wanted !== undefined && wanted !== 'reference' && wanted !== 'native') {
    throw new Error(`SPEC_VLA_BACKEND must be "reference" or "native", got "${wanted}"`);
  }
  if (wanted === 'reference') return referenceKernels;
  const native = nativeKernels();
  if (native) return native;
  const why = loadNative().error;
  if (wanted === 'native') throw new Error(`SPEC_VLA_BACKEND=native but the native addon did not load: ${why}`);
  process.emitWarning(`native addon not loaded (${why}); running on the TypeScript reference kernels. Build it with "npm run build" (needs libopenblas-dev).`, 'SpecVlaWarning');
  return referenceKernels;
}

/** Switches every op to the named kernels (tests run both paths this way). */
export function useBackend(name: BackendName): Kernels {
  if (name === 'reference') {
    active = referenceKernels;
    return active;
  }
  const native = nativeKernels();
  if (!native) throw new Error(`native addon not available: ${loadNative().error}`);
  active = native;
  return active;
}
