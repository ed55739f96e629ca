import { kernels, loadNative } from '../ops/index.js';
import { causalMask, KvCache, LlamaModel, positionsFrom, randomSource, type LlamaConfig } from '../model/index.js';

export interface ForwardBenchOptions {
  width?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  vocab?: number;
  /** Committed prefix length before the measured forwards (image patches + prompt). */
  past?: number;
  tokens?: number[];
  reps?: number;
}

export interface ForwardBenchResult {
  /** The kernels the forwards ran on. */
  backend: 'reference' | 'native';
  config: LlamaConfig;
  past: number;
  /** Median ms of one forward of T new tokens, per T. */
  forward_ms: Record<string, number>;
  /** forward_ms[T] / forward_ms[1]: the verify-cost curve tree sizing uses. */
  relative_cost: Record<string, number>;
  weight_bytes: number;
  read_gbps: number | null;
  /** Weight bytes / read bandwidth: the floor of a one-token step. */
  decode_bound_ms: number | null;
  decode_ms: number;
}

/**
 * What one forward of T new tokens costs a Llama decoder of the given size on this machine, against
 * a one-token step, and the one-token step against its memory-bandwidth floor.
 */
export function runForwardBench(opts: ForwardBenchOptions = {}): ForwardBenchResult {
  const width = opts.width ?? 1024;
  const heads = opts.heads ?? Math.max(1, width / 64);
  const config: LlamaConfig = {
    vocabSize: opts.vocab ?? 1024,
    hidden: width,
    intermediate: Math.round((width * 8) / 3 / 32) * 32,
    nLayers: opts.layers ?? 4,
    nHeads: heads,
    nKvHeads: opts.kvHeads ?? heads,
    ropeTheta: 10000,
    eps: 1e-6,
  };
  const past = opts.past ?? 96;
  const Ts = opts.tokens ?? [1, 2, 4, 8, 16, 32, 64];
  const reps = opts.reps ?? 9;
  const model = LlamaModel.load(randomSource(1, 0.02), '', config);
  const cache = new KvCache(config.nLayers, model.kvWidth, past + Math.max(...Ts));
  model.forward(model.embed(Array.from({ length: past }, (_, i) => i % config.vocabSize)), positionsFrom(0, past), causalMask(0, past), cache, { logits: 'none' });
  // All T are measured side by side: each round runs every T once (order reversed on odd rounds,
  // so drift and cache warmth do not favour one end), after one warm-up round; medians per T.
  const inputs = Ts.map((T) => ({ T, x: model.embed(Array.from({ length: T }, (_, i) => (i * 7) % config.vocabSize)), mask: causalMask(past, T), pos: positionsFrom(past, T) }));
  const times = new Map<number, number[]>(Ts.map((T) => [T, []]));
  for (let round = 0; round <= reps; round++) {
    for (const { T, x, mask, pos } of round % 2 ? [...inputs].reverse() : inputs) {
      const t = performance.now();
      model.forward(x, pos, mask, cache);
      if (round > 0) times.get(T)!.push(performance.now() - t);
      cache.truncate(past);
    }
  }
  const forward_ms: Record<string, number> = {};
  for (const T of Ts) forward_ms[T] = median(times.get(T)!);
  const perLayer = 2 * config.hidden * config.hidden + 2 * model.kvWidth * config.hidden + 3 * config.hidden * config.intermediate;
  const weight_bytes = 4 * (config.nLayers * perLayer + config.vocabSize * config.hidden);
  const addon = loadNative().addon;
  const read_gbps = addon ? addon.readBandwidth(512e6, 3) : null;
  const decode_bound_ms = read_gbps ? (weight_bytes / (read_gbps * 1e9)) * 1e3 : null;
  const decode_ms = forward_ms[1] ?? forward_ms[Ts[0]!]!;
  const relative_cost = Object.fromEntries(Object.entries(forward_ms).map(([T, ms]) => [T, ms / decode_ms]));
  return { backend: kernels().name, config, past, forward_ms, relative_cost, weight_bytes, read_gbps, decode_bound_ms, decode_ms };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function formatForwardBench(r: ForwardBenchResult): string {
  const c = r.config;
  const lines = [`${r.backend} kernels; Llama decoder: width ${c.hidden}, ${c.nLayers} layers, ${c.nHeads}/${c.nKvHeads} heads, vocab ${c.vocabSize}; ${(r.weight_bytes / 1e6).toFixed(1)} MB f32; ${r.past} committed positions`, '', '   T | forward ms | vs T=1'];
  for (const [T, ms] of Object.entries(r.forward_ms)) lines.push(`${T.padStart(4)} | ${ms.toFixed(2).padStart(10)} | ${r.relative_cost[T]!.toFixed(2).padStart(5)}x`);
  if (r.decode_bound_ms !== null) {
    lines.push('', `one-token step ${r.decode_ms.toFixed(2)} ms vs bound ${r.decode_bound_ms.toFixed(2)} ms (${(r.weight_bytes / 1e6).toFixed(1)} MB of weights / ${r.read_gbps!.toFixed(1)} GB/s read bandwidth): ${((100 * r.decode_bound_ms) / r.decode_ms).toFixed(0)}% of the bound`);
  }
  return lines.join('\n');
}
