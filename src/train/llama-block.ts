import type { Tape, Tensor, Var } from '../ops/index.js';
import { causalMask } from '../model/index.js';
import type { Initializer, ParamSet } from './params.js';

/** Sizes of one Llama decoder layer (Hugging Face LlamaConfig names in comments). */
export interface LlamaBlockConfig {
  hidden: number; // hidden_size
  intermediate: number; // intermediate_size
  nHeads: number; // num_attention_heads
  nKvHeads: number; // num_key_value_heads
  ropeTheta: number; // rope_theta
  eps: number; // rms_norm_eps
  /** EAGLE's draft layer drops the input RMSNorm: its input is already a mix of features. */
  inputNorm: boolean;
}

/** Creates the layer's weights under `prefix` (e.g. "language_model.model.layers.3"). */
export function initLlamaBlock(params: ParamSet, prefix: string, cfg: LlamaBlockConfig, init: Initializer, std = 0.02): void {
  const headDim = cfg.hidden / cfg.nHeads;
  const kv = cfg.nKvHeads * headDim;
  if (cfg.inputNorm) params.set(`${prefix}.input_layernorm.weight`, init.ones([cfg.hidden]));
  params.set(`${prefix}.self_attn.q_proj.weight`, init.normal([cfg.hidden, cfg.hidden], std));
  params.set(`${prefix}.self_attn.k_proj.weight`, init.normal([kv, cfg.hidden], std));
  params.set(`${prefix}.self_attn.v_proj.weight`, init.normal([kv, cfg.hidden], std));
  params.set(`${prefix}.self_attn.o_proj.weight`, init.normal([cfg.hidden, cfg.hidden], std));
  params.set(`${prefix}.post_attention_layernorm.weight`, init.ones([cfg.hidden]));
  params.set(`${prefix}.mlp.gate_proj.weight`, init.normal([cfg.intermediate, cfg.hidden], std));
  params.set(`${prefix}.mlp.up_proj.weight`, init.normal([cfg.intermediate, cfg.hidden], std));
  params.set(`${prefix}.mlp.down_proj.weight`, init.normal([cfg.hidden, cfg.intermediate], std));
}

/**
 * Attention over a batch of independent sequences stacked by rows: each segment (of the given
 * lengths) attends only within itself, under `mask(length)`. The linear layers around it run on
 * all rows at once, which is where batching pays.
 */
export function segmentedAttention(tape: Tape, q: Var, k: Var, v: Var, segments: readonly number[], mask: (length: number) => Tensor | null, heads: { nHeads: number; nKvHeads: number }): Var {
  if (segments.length === 1) return tape.attention(q, k, v, mask(segments[0]!), heads);
  const outs: Var[] = [];
  let at = 0;
  for (const n of segments) {
    const [qs, ks, vs] = [q, k, v].map((t) => tape.sliceRows(t, at, at + n)) as [Var, Var, Var];
    outs.push(tape.attention(qs, ks, vs, mask(n), heads));
    at += n;
  }
  return tape.concatRows(outs);
}

/**
 * One pre-norm Llama layer over stacked sequences x[ΣT, hidden] (training: no KV cache), each a
 * causal sequence of the lengths in `segments`: x + o(attn(rope(q), rope(k), v)), then
 * + down(silu(gate(h)) * up(h)) with h = rmsNorm(x). `onQueriesKeys` is handed the rotated queries
 * and keys (for a loss on where the layer attends).
 */
export function llamaBlock(tape: Tape, params: ParamSet, prefix: string, x: Var, positions: Int32Array, segments: readonly number[], cfg: LlamaBlockConfig, onQueriesKeys?: (q: Var, k: Var) => void): Var {
  const p = (name: string) => params.get(`${prefix}.${name}`);
  const headDim = cfg.hidden / cfg.nHeads;
  const h = cfg.inputNorm ? tape.rmsNorm(x, p('input_layernorm.weight'), cfg.eps) : x;
  const q = tape.rope(tape.linear(h, p('self_attn.q_proj.weight')), positions, headDim, cfg.ropeTheta);
  const k = tape.rope(tape.linear(h, p('self_attn.k_proj.weight')), positions, headDim, cfg.ropeTheta);
  const v = tape.linear(h, p('self_attn.v_proj.weight'));
  onQueriesKeys?.(q, k);
  const attn = segmentedAttention(tape, q, k, v, segments, (n) => causalMask(0, n), { nHeads: cfg.nHeads, nKvHeads: cfg.nKvHeads });
  const x1 = tape.add(x, tape.linear(attn, p('self_attn.o_proj.weight')));
  const h2 = tape.rmsNorm(x1, p('post_attention_layernorm.weight'), cfg.eps);
  const gated = tape.mul(tape.silu(tape.linear(h2, p('mlp.gate_proj.weight'))), tape.linear(h2, p('mlp.up_proj.weight')));
  return tape.add(x1, tape.linear(gated, p('mlp.down_proj.weight')));
}
