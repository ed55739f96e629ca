import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../ops/index.js';
import { Checkpoint, encodeSafetensors, randomSource, type LlamaModel, type SafetensorsDType } from '../model/index.js';
import { DraftHead } from './draft-head.js';

/**
 * A draft head checkpoint folder: config.json (`{ "model_type": "eagle_draft", "hidden_size": d,
 * ... }`, sizes must match the target) and model.safetensors with `fc.weight`, `fc.bias` and the
 * one decoder layer as `layers.0.*`.
 */
export function loadDraftHead(dir: string, target: LlamaModel, capacity?: number): DraftHead {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new Error(`${dir}: no config.json (is this a draft head folder?)`);
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${cfgPath}: not valid JSON (${(e as Error).message})`);
  }
  if (cfg.model_type !== 'eagle_draft') throw new Error(`${cfgPath}: model_type is ${JSON.stringify(cfg.model_type)}, expected "eagle_draft"`);
  if (cfg.hidden_size !== target.cfg.hidden) throw new Error(`${cfgPath}: hidden_size ${cfg.hidden_size} does not match the target's ${target.cfg.hidden}`);
  const ckpt = Checkpoint.open(dir);
  return DraftHead.load((name, shape) => ckpt.tensor(name, shape), target, capacity);
}

/** Writes a draft head folder from its named weights (as produced by training). */
export function saveDraftHead(dir: string, target: LlamaModel, weights: ReadonlyMap<string, Tensor>, dtype: SafetensorsDType = 'F32', extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  const c = target.cfg;
  const config = { model_type: 'eagle_draft', hidden_size: c.hidden, intermediate_size: c.intermediate, num_attention_heads: c.nHeads, num_key_value_heads: c.nKvHeads, rope_theta: c.ropeTheta, rms_norm_eps: c.eps, ...extra };
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(weights, dtype));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}

/** Random draft weights for a target (tests, demos, and the starting point of training). */
export function randomDraftWeights(target: LlamaModel, seed: number, scale = 0.05): Map<string, Tensor> {
  const get = randomSource(seed, scale);
  const { hidden: d, intermediate: f, nHeads, nKvHeads } = target.cfg;
  const kv = (nKvHeads * d) / nHeads;
  const shapes: [string, number[]][] = [
    ['fc.weight', [d, 2 * d]],
    ['fc.bias', [d]],
    ['layers.0.self_attn.q_proj.weight', [d, d]],
    ['layers.0.self_attn.k_proj.weight', [kv, d]],
    ['layers.0.self_attn.v_proj.weight', [kv, d]],
    ['layers.0.self_attn.o_proj.weight', [d, d]],
    ['layers.0.post_attention_layernorm.weight', [d]],
    ['layers.0.mlp.gate_proj.weight', [f, d]],
    ['layers.0.mlp.up_proj.weight', [f, d]],
    ['layers.0.mlp.down_proj.weight', [d, f]],
  ];
  return new Map(shapes.map(([name, shape]) => [name, get(name, shape)]));
}
