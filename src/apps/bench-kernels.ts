import { execFileSync } from 'node:child_process';
import { kernels, linear, loadNative, scale, Tensor, useBackend } from '../ops/index.js';

export interface KernelsBenchOptions {
  /** Fewer repetitions and smaller buffers: a smoke run in seconds. */
  quick?: boolean;
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
}

export interface KernelsBenchResult {
  blas_core: string;
  blas_core_source: 'user' | 'auto' | 'none';
  blas_threads: number;
  /** Streaming multi-threaded sum over a buffer larger than the caches, best run. */
  read_gbps: number;
  /** GEMV (one token through a [N, K] f32 weight larger than the caches) through the library, best run. */
  gemv_gbps: number;
  gemv_shape: [number, number];
  /** C[M, 4096] = A[M, 4096] · W[4096, 4096]ᵀ through the library's linear(), best run, per M. */
  gemm_gflops: Record<string, number>;
  /** The same product with every row in bf16 (linear's bf16Rows = M; kernels.matmulBf16), best run, per M. */
  bf16_gflops: Record<string, number>;
  /** The same product against a frozen weight (linear's `frozen`: 1..256 rows on kernels.matmulPanels), best run, per M. */
  panels_gflops: Record<string, number>;
  /** Whether matmulBf16 runs on bf16 dot-product instructions here (else a slow plain loop). */
  fast_bf16: boolean;
  /** Time of the library product for M rows over its time for one row: what verifying M tokens costs. */
  cost_vs_m1: Record<string, number>;
  /** The same product as one direct cblas_sgemm call on buffers owned by C, best run, per M. */
  blas_gflops: Record<string, number>;
  /** Roofline for each M on this machine: min(peak_gflops, FLOPs / (bytes moved / read_gbps)). */
  bound_gflops: Record<string, number>;
  /** Measured f32 compute peak: register-resident FMAs (AVX-512, or AVX2) on every thread. */
  peak_gflops: number;
  /** One tiny op (scale of a 1-element tensor) through the tensor API and the addon. */
  call_overhead_us: number;
  /** An empty addon call: the Node-API crossing alone. */
  addon_call_us: number;
}

function bestSeconds(fn: () => void, iters: number): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

function randomTensor(shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  return t;
}

/**
 * Seconds per direct cblas_sgemm call for each M, measured in a child process: OpenBLAS's own
 * threads keep spinning after a call, and beside the library's OpenMP threads they would slow both.
 */
function directBlasSeconds(Ms: number[], N: number, K: number, iters: number): Record<string, number> {
  const nativeUrl = new URL('../ops/native.js', import.meta.url).href;
  const script = `import { loadNative } from '${nativeUrl}';
const a = loadNative().addon;
console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(Ms)}.map((M) => [M, a.blasSgemmSeconds(M, ${N}, ${K}, ${iters})]))));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, number>;
}

/**
 * Measures the kernels that bound speculative decoding on this machine, all in one run so the
 * ratios are fair on a shared, noisy machine: GEMV against the read bandwidth, library GEMM against
 * a direct OpenBLAS call, and the cost of crossing into the addon.
 */
export function runKernelsBench(opts: KernelsBenchOptions = {}): KernelsBenchResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const load = loadNative();
  if (!load.addon) throw new Error(`bench kernels needs the native addon, which did not load: ${load.error}`);
  const addon = load.addon;
  const previous = kernels().name;
  useBackend('native');
  try {
    const iters = opts.quick ? 3 : 10;
    const info = addon.blasInfo();
    log(`OpenBLAS core ${info.core} (${load.coreTypeSource}), ${info.threads} threads`);

    const readBytes = opts.quick ? 256e6 : 1024e6;
    const read_gbps = addon.readBandwidth(readBytes, iters);
    log(`read bandwidth ${read_gbps.toFixed(1)} GB/s over ${readBytes / 1e6} MB`);

    const gemvShape: [number, number] = opts.quick ? [8192, 4096] : [16384, 4096];
    const W = randomTensor(gemvShape);
    const x = randomTensor([1, gemvShape[1]]);
    const gemv_gbps = (W.size * 4) / bestSeconds(() => linear(x, W), iters) / 1e9;
    log(`GEMV [1x${gemvShape[1]}]·[${gemvShape.join('x')}]ᵀ ${gemv_gbps.toFixed(1)} GB/s (${((100 * gemv_gbps) / read_gbps).toFixed(0)}% of read bandwidth)`);

    const K = 4096;
    const N = 4096;
    const Ms = [1, 4, 16, 32, 64, 256];
    const direct = directBlasSeconds(Ms, N, K, iters);
    const Wsq = randomTensor([N, K]);
    const peak_gflops = addon.peakGflops(iters);
    log(`compute peak ${peak_gflops.toFixed(0)} GFLOP/s (register-resident FMAs, all threads)`);
    const gemm_gflops: Record<string, number> = {};
    const bf16_gflops: Record<string, number> = {};
    const panels_gflops: Record<string, number> = {};
    const blas_gflops: Record<string, number> = {};
    const bound_gflops: Record<string, number> = {};
    const cost_vs_m1: Record<string, number> = {};
    for (const M of Ms) {
      const a = randomTensor([M, K]);
      const flops = 2 * M * N * K;
      const seconds = bestSeconds(() => linear(a, Wsq), iters);
      const lib = flops / seconds / 1e9;
      cost_vs_m1[M] = seconds / (M === 1 ? seconds : (2 * N * K) / (gemm_gflops[1]! * 1e9));
      const directGflops = flops / direct[M]! / 1e9;
      const bytes = 4 * (M * K + N * K + M * N);
      const bound = Math.min(peak_gflops, flops / (bytes / (read_gbps * 1e9)) / 1e9);
      gemm_gflops[M] = lib;
      bf16_gflops[M] = addon.fastBf16 ? flops / bestSeconds(() => linear(a, Wsq, undefined, { bf16Rows: M }), iters) / 1e9 : 0;
      panels_gflops[M] = flops / bestSeconds(() => linear(a, Wsq, undefined, { frozen: true }), iters) / 1e9;
      blas_gflops[M] = directGflops;
      bound_gflops[M] = bound;
      log(`GEMM M=${M}: library ${lib.toFixed(1)} GFLOP/s, direct cblas_sgemm ${directGflops.toFixed(1)} (${((100 * lib) / directGflops).toFixed(0)}%), bound ${bound.toFixed(0)}; frozen ${panels_gflops[M]!.toFixed(1)}; bf16 ${bf16_gflops[M]!.toFixed(1)}`);
    }

    const one = Tensor.from([1], [1]);
    const calls = opts.quick ? 20_000 : 200_000;
    const call_overhead_us = (bestSeconds(() => { for (let i = 0; i < calls; i++) scale(one, 2); }, 3) / calls) * 1e6;
    const addon_call_us = (bestSeconds(() => { for (let i = 0; i < calls; i++) addon.noop(); }, 3) / calls) * 1e6;
    log(`tiny op through the library ${call_overhead_us.toFixed(2)} us, empty addon call ${addon_call_us.toFixed(3)} us`);

    return {
      blas_core: info.core,
      blas_core_source: load.coreTypeSource,
      blas_threads: info.threads,
      read_gbps,
      gemv_gbps,
      gemv_shape: gemvShape,
      gemm_gflops,
      bf16_gflops,
      panels_gflops,
      fast_bf16: addon.fastBf16,
      cost_vs_m1,
      blas_gflops,
      bound_gflops,
      peak_gflops,
      call_overhead_us,
      addon_call_us,
    };
  } finally {
    useBackend(previous);
  }
}

/** The result as the table a person reads. */
export function formatKernelsBench(r: KernelsBenchResult): string {
  const lines = [
    `OpenBLAS core: ${r.blas_core} (${r.blas_core_source === 'auto' ? 'chosen by spec-vla' : r.blas_core_source === 'user' ? 'set by OPENBLAS_CORETYPE' : 'detected by OpenBLAS'}), ${r.blas_threads} threads`,
    `read bandwidth:            ${r.read_gbps.toFixed(1)} GB/s (streaming sum, the bound for GEMV)`,
    `GEMV [${r.gemv_shape.join('x')}] f32:    ${r.gemv_gbps.toFixed(1)} GB/s = ${((100 * r.gemv_gbps) / r.read_gbps).toFixed(0)}% of read bandwidth`,
    '',
    '   M | library GFLOP/s | direct cblas_sgemm | library/direct | roofline bound | time vs M=1 | frozen GFLOP/s | frozen time vs M=1 | bf16 GFLOP/s | bf16/f32',
  ];
  for (const M of Object.keys(r.gemm_gflops)) {
    const lib = r.gemm_gflops[M]!;
    const direct = r.blas_gflops[M]!;
    const bf16 = r.fast_bf16 ? `${r.bf16_gflops[M]!.toFixed(1).padStart(12)} | ${(r.bf16_gflops[M]! / lib).toFixed(2).padStart(7)}x` : '           - |        -';
    const frozen = r.panels_gflops[M]!;
    const frozenCost = (Number(M) * r.gemm_gflops['1']!) / frozen;
    lines.push(`${M.padStart(4)} | ${lib.toFixed(1).padStart(15)} | ${direct.toFixed(1).padStart(18)} | ${((100 * lib) / direct).toFixed(0).padStart(13)}% | ${r.bound_gflops[M]!.toFixed(0).padStart(14)} | ${r.cost_vs_m1[M]!.toFixed(2).padStart(10)}x | ${frozen.toFixed(1).padStart(14)} | ${frozenCost.toFixed(2).padStart(17)}x | ${bf16}`);
  }
  lines.push(`(K = N = 4096; bound = min(${r.peak_gflops.toFixed(0)} GFLOP/s measured compute peak, FLOPs / (bytes moved / read bandwidth)))`);
  lines.push('(frozen: an inference weight, whose 1..256-row products run on a column-panel copy of it)');
  lines.push(r.fast_bf16 ? `(bf16: every row rounded to bf16 against a bf16 copy of the weight, f32 sums; its compute bound is twice the f32 peak, ${(2 * r.peak_gflops).toFixed(0)} GFLOP/s, as vdpbf16ps does two multiply-adds per lane)` : '(bf16: no AVX512_BF16 here, so spec-vla keeps the image and prompt in f32)');
  lines.push('', `per-call overhead: ${r.call_overhead_us.toFixed(2)} us for a tiny op through the tensor API, ${r.addon_call_us.toFixed(3)} us for an empty addon call`);
  return lines.join('\n');
}
