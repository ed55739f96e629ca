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

/**
 * Wraps the active kernels so every call's time is added to `totals` (per kernel name: calls and
 * milliseconds); returns a function that puts the unwrapped kernels back. For profiling benchmarks.
 */
export function profileKernels(totals: Map<string, { calls: number; ms: number }>): () => void {
  const inner = kernels();
  const wrapped = Object.fromEntries(
    Object.entries(inner).map(([name, fn]) => {
      if (typeof fn !== 'function') return [name, fn];
      const entry = totals.get(name) ?? { calls: 0, ms: 0 };
      totals.set(name, entry);
      return [
        name,
        (...args: unknown[]) => {
          const t0 = performance.now();
          const r = (fn as (...a: unknown[]) => unknown).apply(inner, args);
          entry.ms += performance.now() - t0;
          entry.calls++;
          return r;
        },
      ];
    }),
  ) as unknown as Kernels;
  active = wrapped;
  return () => {
    active = inner;
  };
}
