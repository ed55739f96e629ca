/**
 * Kernel benchmark: GEMV vs read bandwidth, library GEMM vs direct OpenBLAS, call overhead.
 * Usage: npm run build && node dist/bench/kernels.js [--json] [--quick]
 */
import './args.js';
import { formatKernelsBench, runKernelsBench } from '../src/apps/bench-kernels.js';

const result = runKernelsBench({ quick: process.argv.includes('--quick') });
console.log(process.argv.includes('--json') ? JSON.stringify(result, null, 2) : formatKernelsBench(result));
