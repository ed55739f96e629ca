#!/usr/bin/env node
import { Command } from 'commander';
import { kernels, loadNative } from '../ops/index.js';
import { formatKernelsBench, runKernelsBench } from './bench-kernels.js';

const program = new Command();
program
  .name('spec-vla')
  .description('Speculative decoding with relaxed acceptance for token-based Vision-Language-Action policies.')
  .version('0.1.0');

program
  .command('info')
  .description('Show the compute engine in use: native addon or TypeScript reference, OpenBLAS core type and threads.')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    const load = loadNative();
    const blas = load.addon?.blasInfo();
    const info = {
      backend: kernels().name,
      native_error: load.error ?? null,
      blas_core: blas?.core ?? null,
      blas_core_source: load.coreTypeSource,
      blas_threads: blas?.threads ?? null,
      blas_config: blas?.config ?? null,
    };
    if (opts.json) console.log(JSON.stringify(info, null, 2));
    else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(18)} ${v}`);
  });

const bench = program.command('bench').description('Benchmarks measured side by side in one run.');
bench
  .command('kernels')
  .description('GEMV GB/s against the measured read bandwidth, library GEMM against a direct cblas_sgemm call for M in {1,4,16,64,256} x 4096 x 4096, and the per-call overhead of the addon.')
  .option('--json', 'print the result as JSON (fields gemv_gbps, read_gbps, blas_core, gemm_gflops, blas_gflops, call_overhead_us, ...)')
  .option('--quick', 'fewer repetitions and smaller buffers (seconds instead of a minute)')
  .action((opts: { json?: boolean; quick?: boolean }) => {
    const result = runKernelsBench({ quick: opts.quick });
    console.log(opts.json ? JSON.stringify(result, null, 2) : formatKernelsBench(result));
  });

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`spec-vla: ${e.message}`);
  process.exit(1);
});
