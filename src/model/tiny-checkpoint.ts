import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../ops/index.js';
import { encodeSafetensors, type SafetensorsDType } from './safetensors.js';
import { randomSource } from './random-weights.js';
import { buildWordTokenizer } from './word-tokenizer.js';

export interface TinyCheckpointOptions {
  seed?: number;
  /** Two backbones fused like OpenVLA's DINOv2 + SigLIP (default), or one. */
  fused?: boolean;
  dtype?: SafetensorsDType;
  /** Split the weights over this many shards with model.safetensors.index.json (default 1: one file). */
  shards?: number;
  imageSize?: number;
  patchSize?: number;
  hidden?: number;
  layers?: number;
  /** Unpadded vocabulary size V (action tokens are the last 256 ids). */
  vocabSize?: number;
  /** Words the tokenizer knows besides the prompt's. */
  words?: string[];
}

const PAD = 64;

/**
 * Writes a random checkpoint with OpenVLA's exact tensor names, config keys and tokenizer layout,
 * dimensions scaled down: for tests, demos, and as a template for real checkpoints.
 */
export function writeTinyCheckpoint(dir: string, opts: TinyCheckpointOptions = {}): void {
  const fused = opts.fused ?? true;
  const imageSize = opts.imageSize ?? 28;
  const patchSize = opts.patchSize ?? 14;
  const d = opts.hidden ?? 32;
  const V = opts.vocabSize ?? 320;
  const vits = [
    { prefix: 'vision_backbone.featurizer.', width: 24, depth: 3, num_heads: 2, mlp_hidden: 48, registers: 4, class_token: true, layer_scale: true, gelu: 'erf', normalization: 'imagenet' },
    { prefix: 'vision_backbone.fused_featurizer.', width: 16, depth: 3, num_heads: 2, mlp_hidden: 32, registers: 0, class_token: false, layer_scale: false, gelu: 'erf', normalization: 'half' },
  ].slice(0, fused ? 2 : 1);
  const nPatches = (imageSize / patchSize) ** 2;
  const source = randomSource(opts.seed ?? 0, 0.3);
  const tensors = new Map<string, Tensor>();
  const put = (name: string, shape: number[]) => tensors.set(name, source(name, shape));
  for (const v of vits) {
    const w = v.width;
    put(`${v.prefix}patch_embed.proj.weight`, [w, 3, patchSize, patchSize]);
    put(`${v.prefix}patch_embed.proj.bias`, [w]);
    // timm's DINOv2-with-registers and SigLIP both keep position embeddings for the patches only
    // (DINOv2's class-token position is folded into cls_token when timm converts the weights).
    put(`${v.prefix}pos_embed`, [1, nPatches, w]);
    if (v.class_token) put(`${v.prefix}cls_token`, [1, 1, w]);
    if (v.registers) put(`${v.prefix}reg_token`, [1, v.registers, w]);
    for (let i = 0; i < v.depth; i++) {
      const b = `${v.prefix}blocks.${i}`;
      for (const n of ['norm1', 'norm2']) {
        put(`${b}.${n}.weight`, [w]);
        put(`${b}.${n}.bias`, [w]);
      }
      put(`${b}.attn.qkv.weight`, [3 * w, w]);
      put(`${b}.attn.qkv.bias`, [3 * w]);
      put(`${b}.attn.proj.weight`, [w, w]);
      put(`${b}.attn.proj.bias`, [w]);
      put(`${b}.mlp.fc1.weight`, [v.mlp_hidden, w]);
      put(`${b}.mlp.fc1.bias`, [v.mlp_hidden]);
      put(`${b}.mlp.fc2.weight`, [w, v.mlp_hidden]);
      put(`${b}.mlp.fc2.bias`, [w]);
      if (v.layer_scale) {
        put(`${b}.ls1.gamma`, [w]);
        put(`${b}.ls2.gamma`, [w]);
      }
    }
    // The final norm is in the real checkpoints too, though OpenVLA reads the second-to-last block.
    put(`${v.prefix}norm.weight`, [w]);
    put(`${v.prefix}norm.bias`, [w]);
  }
  const visionDim = vits.reduce((s, v) => s + v.width, 0);
  const proj = fused ? [[4 * visionDim, visionDim], [d, 4 * visionDim], [d, d]] : [[d, visionDim], [d, d]];
  proj.forEach(([o, i], k) => {
    put(`projector.fc${k + 1}.weight`, [o!, i!]);
    put(`projector.fc${k + 1}.bias`, [o!]);
  });
  const text = { model_type: 'llama', pad_token_id: V, torch_dtype: (opts.dtype ?? 'F32') === 'BF16' ? 'bfloat16' : (opts.dtype ?? 'F32') === 'F16' ? 'float16' : 'float32', hidden_size: d, intermediate_size: 2 * d, num_hidden_layers: opts.layers ?? 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 10000, vocab_size: V + PAD };
  const kv = (d / 4) * 2;
  put('language_model.model.embed_tokens.weight', [V + PAD, d]);
  put('language_model.model.norm.weight', [d]);
  put('language_model.lm_head.weight', [V + PAD, d]);
  for (let i = 0; i < text.num_hidden_layers; i++) {
    const b = `language_model.model.layers.${i}`;
    put(`${b}.input_layernorm.weight`, [d]);
    put(`${b}.post_attention_layernorm.weight`, [d]);
    put(`${b}.self_attn.q_proj.weight`, [d, d]);
    put(`${b}.self_attn.k_proj.weight`, [kv, d]);
    put(`${b}.self_attn.v_proj.weight`, [kv, d]);
    put(`${b}.self_attn.o_proj.weight`, [d, d]);
    put(`${b}.mlp.gate_proj.weight`, [2 * d, d]);
    put(`${b}.mlp.up_proj.weight`, [2 * d, d]);
    put(`${b}.mlp.down_proj.weight`, [d, 2 * d]);
  }

  mkdirSync(dir, { recursive: true });
  const config = {
    architectures: ['OpenVLAForActionPrediction'],
    model_type: 'openvla',
    arch_specifier: fused ? 'no-align+fused-gelu-mlp' : 'no-align+gelu-mlp',
    image_resize_strategy: 'resize-naive',
    pad_token_id: V,
    use_fused_vision_backbone: fused,
    timm_model_ids: fused ? ['vit_large_patch14_reg4_dinov2.lvd142m', 'vit_so400m_patch14_siglip_224'] : ['vit_so400m_patch14_siglip_224'],
    image_sizes: vits.map(() => imageSize),
    vision_config: vits.map(({ prefix, ...v }) => ({ ...v, image_size: imageSize, patch_size: patchSize, eps: 1e-6 })),
    text_config: text,
    pad_to_multiple_of: PAD,
    n_action_bins: 256,
    norm_stats: {
      tiny_dataset: {
        action: {
          q01: [-0.05, -0.05, -0.05, -0.2, -0.2, -0.2, 0],
          q99: [0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 1],
          mask: [true, true, true, true, true, true, false],
        },
      },
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const tok = buildWordTokenizer(opts.words ?? ['pick', 'up', 'the', 'red', 'block', 'and', 'place', 'it', 'on', 'plate'], V);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.config, null, 2));
  const dtype = opts.dtype ?? 'F32';
  const shards = Math.max(1, opts.shards ?? 1);
  if (shards === 1) {
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, dtype));
    return;
  }
  const names = [...tensors.keys()].sort();
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = new Map(names.filter((_, i) => i % shards === s).map((n) => [n, tensors.get(n)!]));
    for (const n of part.keys()) weightMap[n] = file;
    writeFileSync(join(dir, file), encodeSafetensors(part, dtype));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
}
