import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Kernels } from './kernels.js';

/** The OpenBLAS Node-API addon: the Kernels plus what only native code can measure. */
export interface NativeAddon extends Omit<Kernels, 'name'> {
  /** OpenBLAS core name in use (e.g. "SkylakeX"), the worker threads (OpenMP) and OpenBLAS's build config. */
  blasInfo(): { core: string; threads: number; config: string };
  /** Seconds per call of a direct cblas_sgemm C[M,N] = A[M,K]·B[N,K]ᵀ on buffers owned by C, best of `iters`. */
  blasSgemmSeconds(M: number, N: number, K: number, iters: number): number;
  /** GB/s of a streaming, multi-threaded sum over `bytes` of memory, best of `iters`. */
  readBandwidth(bytes: number, iters: number): number;
  /** GFLOP/s of register-resident FMAs (AVX-512, or AVX2) on every thread, best of `iters`: the compute peak. */
  peakGflops(iters: number): number;
  /** Does nothing: the cost of crossing into the addon. */
  noop(): void;
}

/** What loading the addon did, for diagnostics and the kernels bench. */
export interface NativeLoad {
  addon: NativeAddon | null;
  error?: string;
  /** OPENBLAS_CORETYPE as the library saw it when OpenBLAS loaded, and who chose it. */
  coreType: string | undefined;
  coreTypeSource: 'user' | 'auto' | 'none';
}

let loaded: NativeLoad | undefined;

/**
 * Debian's OpenBLAS 0.3.21 misdetects AVX-512 CPUs it does not know (e.g. AMD Zen 4) as "Prescott" and
 * runs GEMM ~5x slower. OpenBLAS reads OPENBLAS_CORETYPE once, when it loads, so the choice must be
 * made before the addon (which links it) is loaded. A core type the user set is always respected.
 */
function chooseCoreType(): Pick<NativeLoad, 'coreType' | 'coreTypeSource'> {
  const user = process.env.OPENBLAS_CORETYPE;
  if (user) return { coreType: user, coreTypeSource: 'user' };
  if (cpuFlags().has('avx512f')) {
    process.env.OPENBLAS_CORETYPE = 'SkylakeX';
    return { coreType: 'SkylakeX', coreTypeSource: 'auto' };
  }
  return { coreType: undefined, coreTypeSource: 'none' };
}

/** The vector instructions the native kernels use on this CPU (native/vec16.h), for reports. */
export function vectorIsa(): string {
  const f = cpuFlags();
  if (f.has('avx512f')) return f.has('avx512_bf16') ? 'AVX-512 with BF16' : 'AVX-512';
  return f.has('avx2') && f.has('fma') ? 'AVX2' : 'no AVX2';
}

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

/** Loads the addon once; never throws (a missing addon is reported in `error`). */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const core = chooseCoreType();
  const path = process.env.SPEC_VLA_NATIVE_PATH ?? new URL('../../../build/Release/spec_vla_native.node', import.meta.url).pathname;
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    loaded = { addon, ...core };
  } catch (e) {
    loaded = { addon: null, error: (e as Error).message.split('\n')[0], ...core };
  }
  return loaded;
}

/** The native Kernels, or null when the addon is not built. */
export function nativeKernels(): Kernels | null {
  const { addon } = loadNative();
  return addon ? { ...addon, name: 'native' } : null;
}
