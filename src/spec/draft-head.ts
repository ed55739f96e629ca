import { add, linear, softmax, Tensor, topK } from '../ops/index.js';
import { KvCache, LlamaLayer, type LlamaModel, type TensorSource } from '../model/index.js';

/**
 * EAGLE's draft head: `fc: 2d -> d` (with bias) and one Llama decoder layer without its input
 * RMSNorm, reading at position i the pair (embedding of token i+1, target feature at i) and
 * predicting the target's feature at i+1. Token logits come from the target's frozen lm_head
 * (no final norm, as in the reference). It keeps its own KV cache over the accepted prefix.
 *
 * Checkpoint names: `fc.weight` [d, 2d], `fc.bias` [d], `layers.0.*` (Hugging Face Llama names).
 */
export class DraftHead {
  /** fc split into the halves that multiply the embedding and the feature: no concat needed. */
  private readonly fcEmbed: Tensor;
  private readonly fcFeature: Tensor;
  readonly cache: KvCache;
  private rows: { first: number; count: number; weight: Tensor } | null = null;

  constructor(
    readonly target: LlamaModel,
    fcWeight: Tensor,
    readonly fcBias: Tensor,
    readonly layer: LlamaLayer,
    capacity = 4096,
  ) {
    const d = target.cfg.hidden;
    if (fcWeight.shape[0] !== d || fcWeight.shape[1] !== 2 * d) throw new Error(`DraftHead: fc.weight is [${fcWeight.shape.join(', ')}], expected [${d}, ${2 * d}]`);
    this.fcEmbed = Tensor.zeros([d, d]);
    this.fcFeature = Tensor.zeros([d, d]);
    for (let r = 0; r < d; r++) {
      this.fcEmbed.data.set(fcWeight.data.subarray(r * 2 * d, r * 2 * d + d), r * d);
      this.fcFeature.data.set(fcWeight.data.subarray(r * 2 * d + d, (r + 1) * 2 * d), r * d);
    }
    this.cache = new KvCache(1, target.kvWidth, capacity);
  }

  /** Loads a draft head for `target`; its layer has the target's sizes. */
  static load(get: TensorSource, target: LlamaModel, capacity?: number): DraftHead {
    const d = target.cfg.hidden;
    return new DraftHead(target, get('fc.weight', [d, 2 * d]), get('fc.bias', [d]), LlamaLayer.load(get, 'layers.0', target.cfg, false), capacity);
  }

  /**
   * Runs T new draft positions continuing the cache: `embeds` [T, d] are the embeddings of the next
   * tokens, `features` [T, d] the (target's or drafted) features at the same positions. Returns the
   * predicted next features [T, d]. The entries are committed to the draft's cache. The first `prompt`
   * rows read the prompt alone and run in bf16 when the target's prompt does (LlamaModel.bf16Prompt).
   */
  forward(embeds: Tensor, features: Tensor, positions: Int32Array, mask: Tensor, prompt = 0): Tensor {
    const bf16Rows = this.target.bf16Prompt ? prompt : 0;
    const x = add(add(linear(embeds, this.fcEmbed, undefined, { bf16Rows, frozen: true }), linear(features, this.fcFeature, undefined, { bf16Rows, frozen: true })), this.fcBias);
    const out = this.layer.forward(x, positions, mask, this.cache, 0, bf16Rows);
    this.cache.commit(embeds.rows);
    return out;
  }

  /**
   * The draft's best `k` next tokens among `candidates` (a contiguous range of token ids, e.g. the
   * 256 action tokens) for each row of `features` [T, d], with log-probabilities normalized over
   * that range. One matmul for all rows: a tree round proposes below its whole frontier at once.
   */
  propose(features: Tensor, k: number, candidates: { first: number; count: number }): { tokens: number[]; logProbs: number[] }[] {
    const p = softmax(linear(features, this.candidateRows(candidates), undefined, { frozen: true }));
    const n = candidates.count;
    return Array.from({ length: features.rows }, (_, r) => {
      const best = topK(p.data.subarray(r * n, (r + 1) * n), Math.min(k, n));
      return { tokens: Array.from(best.indices, (i) => candidates.first + i), logProbs: Array.from(best.values, (v) => Math.log(Math.max(v, 1e-30))) };
    });
  }

  /** The lm_head rows of the candidate range, copied once per range rather than per proposal. */
  private candidateRows(candidates: { first: number; count: number }): Tensor {
    if (this.rows?.first !== candidates.first || this.rows.count !== candidates.count) {
      this.rows = { ...candidates, weight: this.target.lmHead.slice(candidates.first, candidates.first + candidates.count) };
    }
    return this.rows.weight;
  }
}
