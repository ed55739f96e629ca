import { VlaPolicy, type ActionDecoder, type RgbImage } from '../model/index.js';
import { seededRandom } from '../ops/random.js';
import { createDecoder, loadDraftHead } from '../spec/index.js';
import { quantile } from './quantile.js';

export interface DecodeBenchOptions {
  model: string;
  draft?: string;
  /** Decoder specs, compared side by side; the first is the baseline (normally "ar"). */
  decoders?: string[];
  /** Observations timed per decoder (after warm-up). */
  samples?: number;
  warmup?: number;
  instruction?: string;
  /** Images to act on; random images when absent. */
  images?: RgbImage[];
  log?: (line: string) => void;
}

export interface DecoderFigures {
  decoder: string;
  /** Per-action latency (image in, action out), ms. */
  median_ms: number;
  p90_ms: number;
  /** Tokens per target forward, averaged over actions. */
  accept_length: number;
  target_forwards_per_action: number;
  speedup: number;
  /** Fraction of actions whose tokens equal the baseline's. */
  same_tokens: number;
}

export const DEFAULT_DECODERS = ['ar', 'strict', 'relaxed:3', 'relaxed:9', 'relaxed:9@4,4,17', 'strict@2,2,5'];


/**
 * Per-action latency and accept length of several decoders on the same observations, interleaved
 * (each observation runs every decoder in turn) so that drift on a shared machine hits all alike.
 */
export function runDecodeBench(opts: DecodeBenchOptions): DecoderFigures[] {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const policy = VlaPolicy.load(opts.model);
  const draft = opts.draft ? loadDraftHead(opts.draft, policy.llm) : undefined;
  const specs = opts.decoders ?? (draft ? DEFAULT_DECODERS : ['ar']);
  const decoders: ActionDecoder[] = specs.map((s) => createDecoder(policy, s, draft));
  const size = policy.config.vision[0]!.imageSize;
  const rand = seededRandom(7);
  const samples = opts.samples ?? 20;
  const warmup = opts.warmup ?? 3;
  const images = opts.images ?? Array.from({ length: samples + warmup }, () => ({ width: size, height: size, data: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rand() * 256)) }));
  const instruction = opts.instruction ?? 'pick up the red block and place it on the plate';
  const times = specs.map((): number[] => []);
  const accept = specs.map(() => 0);
  const forwards = specs.map(() => 0);
  const same = specs.map(() => 0);
  for (let i = 0; i < samples + warmup; i++) {
    const img = images[i % images.length]!;
    let baseline: string | undefined;
    decoders.forEach((decoder, d) => {
      const out = policy.predictAction(img, instruction, { decoder });
      baseline ??= out.tokens.join();
      if (i < warmup) return;
      times[d]!.push(out.timings.totalMs);
      accept[d]! += out.stats.acceptLength;
      forwards[d]! += out.stats.targetForwards;
      if (out.tokens.join() === baseline) same[d]!++;
    });
    if (i >= warmup && (i - warmup + 1) % 5 === 0) log(`${i - warmup + 1}/${samples} observations`);
  }
  const base = quantile(times[0]!, 0.5);
  return specs.map((decoder, d) => {
    const median = quantile(times[d]!, 0.5);
    return {
      decoder,
      median_ms: median,
      p90_ms: quantile(times[d]!, 0.9),
      accept_length: accept[d]! / samples,
      target_forwards_per_action: forwards[d]! / samples,
      speedup: base / median,
      same_tokens: same[d]! / samples,
    };
  });
}

export function formatDecodeBench(rows: DecoderFigures[]): string {
  const lines = ['decoder            | median ms | p90 ms | accept L | target fwd/action | speedup | same tokens as ' + rows[0]!.decoder];
  for (const r of rows) {
    lines.push(
      `${r.decoder.padEnd(18)} | ${r.median_ms.toFixed(2).padStart(9)} | ${r.p90_ms.toFixed(2).padStart(6)} | ${r.accept_length.toFixed(2).padStart(8)} | ${r.target_forwards_per_action.toFixed(2).padStart(17)} | ${r.speedup.toFixed(2).padStart(6)}x | ${(100 * r.same_tokens).toFixed(0).padStart(4)}%`,
    );
  }
  return lines.join('\n');
}
