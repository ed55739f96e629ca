/**
 * Forward benchmark: a Llama decoder's forward time for T new tokens against T = 1 (the verify-cost
 * curve tree sizing reads), and the one-token step against its bound (weight bytes / read bandwidth).
 * Usage: npm run build && node dist/bench/forward.js [--width 1024] [--layers 4] [--heads 16]
 *        [--kv-heads 16] [--past 96] [--reps 9] [--json]
 */
import './args.js';
import { formatForwardBench, runForwardBench } from '../src/apps/bench-forward.js';

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

const json = process.argv.includes('--json');
const result = runForwardBench({
  width: flag('width'),
  layers: flag('layers'),
  heads: flag('heads'),
  kvHeads: flag('kv-heads'),
  past: flag('past'),
  reps: flag('reps'),
});
console.log(json ? JSON.stringify(result, null, 2) : formatForwardBench(result));
