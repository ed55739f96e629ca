import type { Tape, Var } from '../ops/index.js';
import { segmentedAttention } from './llama-block.js';
import type { Initializer, ParamSet } from './params.js';

/** Sizes of one ViT block (timm's VisionTransformer names). */
export interface VitBlockConfig {
  width: number;
  mlpHidden: number;
  nHeads: number;
  eps: number;
  /** DINOv2-style LayerScale (ls1.gamma, ls2.gamma). */
  layerScale: boolean;
}

export function initVitBlock(params: ParamSet, prefix: string, cfg: VitBlockConfig, init: Initializer, std = 0.02): void {
  const d = cfg.width;
  params.set(`${prefix}.norm1.weight`, init.ones([d]));
  params.set(`${prefix}.norm1.bias`, init.zeros([d]));
  params.set(`${prefix}.attn.qkv.weight`, init.normal([3 * d, d], std));
  params.set(`${prefix}.attn.qkv.bias`, init.zeros([3 * d]));
  params.set(`${prefix}.attn.proj.weight`, init.normal([d, d], std));
  params.set(`${prefix}.attn.proj.bias`, init.zeros([d]));
  params.set(`${prefix}.norm2.weight`, init.ones([d]));
  params.set(`${prefix}.norm2.bias`, init.zeros([d]));
  params.set(`${prefix}.mlp.fc1.weight`, init.normal([cfg.mlpHidden, d], std));
  params.set(`${prefix}.mlp.fc1.bias`, init.zeros([cfg.mlpHidden]));
  params.set(`${prefix}.mlp.fc2.weight`, init.normal([d, cfg.mlpHidden], std));
  params.set(`${prefix}.mlp.fc2.bias`, init.zeros([d]));
  if (cfg.layerScale) {
    params.set(`${prefix}.ls1.gamma`, init.constant([d], 0.1));
    params.set(`${prefix}.ls2.gamma`, init.constant([d], 0.1));
  }
}

/**
 * One pre-norm ViT block over the tokens of one or more images stacked by rows (`segments`: tokens
 * per image; every token sees every token of its image):
 * x + ls1 * proj(attn(qkv(norm1(x)))), then x + ls2 * fc2(gelu(fc1(norm2(x)))).
 * timm packs q, k, v in one [3·width, width] weight; its row blocks are q, k, v in that order.
 */
export function vitBlock(tape: Tape, params: ParamSet, prefix: string, x: Var, cfg: VitBlockConfig, segments: readonly number[] = [x.value.rows]): Var {
  const p = (name: string) => params.get(`${prefix}.${name}`);
  const d = cfg.width;
  const h = tape.layerNorm(x, p('norm1.weight'), p('norm1.bias'), cfg.eps);
  const [w, b] = [p('attn.qkv.weight'), p('attn.qkv.bias')];
  const part = (i: number) => tape.linear(h, tape.sliceRows(w, i * d, (i + 1) * d), tape.sliceRows(b, i * d, (i + 1) * d));
  const attn = segmentedAttention(tape, part(0), part(1), part(2), segments, () => null, { nHeads: cfg.nHeads, nKvHeads: cfg.nHeads });
  let y = tape.linear(attn, p('attn.proj.weight'), p('attn.proj.bias'));
  if (cfg.layerScale) y = tape.mul(y, p('ls1.gamma'));
  const x1 = tape.add(x, y);
  const h2 = tape.layerNorm(x1, p('norm2.weight'), p('norm2.bias'), cfg.eps);
  let m = tape.linear(tape.gelu(tape.linear(h2, p('mlp.fc1.weight'), p('mlp.fc1.bias')), 'erf'), p('mlp.fc2.weight'), p('mlp.fc2.bias'));
  if (cfg.layerScale) m = tape.mul(m, p('ls2.gamma'));
  return tape.add(x1, m);
}
