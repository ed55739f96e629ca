import { add, attention, embedding, linear, rmsNorm, rope, swiglu, Tensor } from '../ops/index.js';
import type { KvCache } from './kv-cache.js';

/** Sizes of a Llama decoder (Hugging Face LlamaConfig names in comments). */
export interface LlamaConfig {
  vocabSize: number; // vocab_size (rows of embed_tokens and lm_head, padding included)
  hidden: number; // hidden_size
  intermediate: number; // intermediate_size
  nLayers: number; // num_hidden_layers
  nHeads: number; // num_attention_heads
  nKvHeads: number; // num_key_value_heads
  ropeTheta: number; // rope_theta
  eps: number; // rms_norm_eps
}

/** A weight source: the checkpoint, a map of tensors, ... Missing tensors and wrong shapes throw. */
export type TensorSource = (name: string, shape: readonly number[]) => Tensor;

export interface LlamaLayerWeights {
  inputNorm: Tensor | null;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  o: Tensor;
  postNorm: Tensor;
  gate: Tensor;
  up: Tensor;
  down: Tensor;
}

/**
 * One Llama decoder layer with a KV cache: pre-norm attention with RoPE and grouped-query heads,
 * then a SwiGLU MLP. `inputNorm` is null for EAGLE's draft layer, which skips the first RMSNorm.
 */
export class LlamaLayer {
  constructor(
    readonly w: LlamaLayerWeights,
    readonly cfg: Omit<LlamaConfig, 'vocabSize' | 'nLayers'>,
  ) {}

  static load(get: TensorSource, prefix: string, cfg: Omit<LlamaConfig, 'vocabSize' | 'nLayers'>, inputNorm = true): LlamaLayer {
    const d = cfg.hidden;
    const kv = (cfg.nKvHeads * d) / cfg.nHeads;
    return new LlamaLayer(
      {
        inputNorm: inputNorm ? get(`${prefix}.input_layernorm.weight`, [d]) : null,
        q: get(`${prefix}.self_attn.q_proj.weight`, [d, d]),
        k: get(`${prefix}.self_attn.k_proj.weight`, [kv, d]),
        v: get(`${prefix}.self_attn.v_proj.weight`, [kv, d]),
        o: get(`${prefix}.self_attn.o_proj.weight`, [d, d]),
        postNorm: get(`${prefix}.post_attention_layernorm.weight`, [d]),
        gate: get(`${prefix}.mlp.gate_proj.weight`, [cfg.intermediate, d]),
        up: get(`${prefix}.mlp.up_proj.weight`, [cfg.intermediate, d]),
        down: get(`${prefix}.mlp.down_proj.weight`, [d, cfg.intermediate]),
      },
      cfg,
    );
  }

  /**
   * x[T, d] at `positions`, attending to the cache's committed entries plus themselves under
   * `mask` [T, past + T]. Writes this layer's new keys and values into the cache (not committed).
   */
  forward(x: Tensor, positions: Int32Array, mask: Tensor, cache: KvCache, layer: number, bf16Rows = 0): Tensor {
    const { w, cfg } = this;
    const headDim = cfg.hidden / cfg.nHeads;
    const proj = (t: Tensor, weight: Tensor) => linear(t, weight, undefined, { bf16Rows, frozen: true });
    const h = w.inputNorm ? rmsNorm(x, w.inputNorm, cfg.eps) : x;
    const q = rope(proj(h, w.q), positions, headDim, cfg.ropeTheta);
    cache.write(layer, rope(proj(h, w.k), positions, headDim, cfg.ropeTheta), proj(h, w.v));
    const { k, v } = cache.view(layer, x.rows);
    const x1 = add(x, proj(attention(q, k, v, mask, { nHeads: cfg.nHeads, nKvHeads: cfg.nKvHeads }), w.o));
    const h2 = rmsNorm(x1, w.postNorm, cfg.eps);
    return add(x1, proj(swiglu(proj(h2, w.gate), proj(h2, w.up)), w.down));
  }
}

export interface DecoderOutput {
  /** Logits [T, vocab] (or [n, vocab] for the last n positions with `logits: n`, [1, vocab] for 'last', [0, vocab] for 'none'). */
  logits: Tensor;
  /** Last hidden states [T, d] after the final norm: the features EAGLE drafts from. */
  hidden: Tensor;
}

/** The Llama language model of a VLA: token embedding, decoder layers, final norm, lm_head. */
export class LlamaModel {
  /**
   * Whether the prompt rows of a forward (`opts.prompt`) run their products in bf16. The prompt is
   * what every decoder computes alike, so strict decoding still matches ar; decoded, verified and
   * prior tokens stay f32.
   */
  bf16Prompt = false;

  constructor(
    readonly cfg: LlamaConfig,
    readonly embedTokens: Tensor,
    readonly layers: LlamaLayer[],
    readonly norm: Tensor,
    readonly lmHead: Tensor,
  ) {}

  /** Loads from Hugging Face names under `prefix` (OpenVLA: "language_model."). */
  static load(get: TensorSource, prefix: string, cfg: LlamaConfig): LlamaModel {
    const layers = Array.from({ length: cfg.nLayers }, (_, i) => LlamaLayer.load(get, `${prefix}model.layers.${i}`, cfg));
    return new LlamaModel(
      cfg,
      get(`${prefix}model.embed_tokens.weight`, [cfg.vocabSize, cfg.hidden]),
      layers,
      get(`${prefix}model.norm.weight`, [cfg.hidden]),
      get(`${prefix}lm_head.weight`, [cfg.vocabSize, cfg.hidden]),
    );
  }

  get kvWidth(): number {
    return (this.cfg.nKvHeads * this.cfg.hidden) / this.cfg.nHeads;
  }

  embed(tokens: ArrayLike<number>): Tensor {
    return embedding(this.embedTokens, tokens);
  }

  logits(hidden: Tensor): Tensor {
    return linear(hidden, this.lmHead, undefined, { frozen: true });
  }

  /**
   * Runs T new positions through every layer, continuing `cache`, and commits their entries.
   * `logits: 'last'` computes logits for the final position only (prefill), a number n for the last
   * n positions, 'none' for none. `prompt`: how many leading rows are the prompt (see bf16Prompt).
   */
  forward(embeds: Tensor, positions: Int32Array, mask: Tensor, cache: KvCache, opts: { logits?: 'all' | 'last' | 'none' | number; prompt?: number } = {}): DecoderOutput {
    const T = embeds.rows;
    if (embeds.cols !== this.cfg.hidden) throw new Error(`LlamaModel.forward: embeddings of width ${embeds.cols}, model width ${this.cfg.hidden}`);
    if (positions.length !== T) throw new Error(`LlamaModel.forward: ${positions.length} positions for ${T} tokens`);
    if (mask.rows !== T || mask.cols !== cache.length + T) {
      throw new Error(`LlamaModel.forward: mask is [${mask.shape.join(', ')}], expected [${T}, ${cache.length + T}]`);
    }
    const bf16Rows = this.bf16Prompt ? (opts.prompt ?? 0) : 0;
    let x = embeds;
    this.layers.forEach((layer, i) => {
      x = layer.forward(x, positions, mask, cache, i, bf16Rows);
    });
    cache.commit(T);
    const hidden = rmsNorm(x, this.norm, this.cfg.eps);
    const which = opts.logits ?? 'all';
    const n = which === 'all' ? T : which === 'last' ? 1 : which === 'none' ? 0 : which;
    if (!Number.isInteger(n) || n < 0 || n > T) throw new Error(`LlamaModel.forward: logits for ${n} of ${T} positions`);
    const logits = n === T ? this.logits(hidden) : n === 0 ? Tensor.zeros([0, this.cfg.vocabSize]) : this.logits(hidden.slice(T - n, T));
    return { logits, hidden };
  }
}

/** Additive causal mask [T, past + T]: position i sees every committed entry and new positions <= i. */
export function causalMask(past: number, T: number): Tensor {
  const m = Tensor.zeros([T, past + T]);
  for (let i = 0; i < T; i++) m.data.fill(-Infinity, i * (past + T) + past + i + 1, (i + 1) * (past + T));
  return m;
}
