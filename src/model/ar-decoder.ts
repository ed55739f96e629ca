import { argmax, type Tensor } from '../ops/index.js';
import { emptyStats, positionsFrom, type ActionDecoder, type DecodeStats } from './decoder.js';
import { KvCache } from './kv-cache.js';
import { causalMask, type LlamaModel } from './llama.js';

/**
 * Plain greedy decoding: the prefill gives the first token, then one target forward per token.
 * No forward after the last token is known.
 */
export class ArDecoder implements ActionDecoder {
  readonly name = 'ar';
  private readonly cache: KvCache;

  constructor(
    readonly target: LlamaModel,
    capacity = 1024,
  ) {
    this.cache = new KvCache(target.cfg.nLayers, target.kvWidth, capacity);
  }

  decode(prefix: Tensor, count: number): { tokens: number[]; stats: DecodeStats } {
    const stats = emptyStats();
    const t0 = performance.now();
    this.cache.truncate(0);
    const P = prefix.rows;
    let out = this.target.forward(prefix, positionsFrom(0, P), causalMask(0, P), this.cache, { logits: 'last', prompt: P });
    stats.prefillMs = performance.now() - t0;
    const tokens = [argmax(out.logits)[0]!];
    stats.targetForwards = 1;
    while (tokens.length < count) {
      const at = this.cache.length;
      out = this.target.forward(this.target.embed([tokens[tokens.length - 1]!]), positionsFrom(at, 1), causalMask(at, 1), this.cache);
      tokens.push(argmax(out.logits)[0]!);
      stats.targetForwards++;
    }
    stats.totalMs = performance.now() - t0;
    stats.verifyMs = stats.totalMs - stats.prefillMs;
    stats.tokens = tokens.length;
    stats.acceptLength = tokens.length / stats.targetForwards;
    stats.accepted = tokens.map(() => false);
    return { tokens, stats };
  }
}
