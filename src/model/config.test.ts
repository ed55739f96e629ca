import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVlaConfig } from './config.js';

/** openvla/openvla-7b's config.json in shape: the real keys, norm_stats cut to one dataset. */
const openvla7b = {
  arch_specifier: 'no-align+fused-gelu-mlp',
  architectures: ['OpenVLAForActionPrediction'],
  hf_llm_id: 'meta-llama/Llama-2-7b-hf',
  image_resize_strategy: 'resize-naive',
  image_sizes: [224, 224],
  llm_backbone_id: 'llama2-7b-pure',
  llm_max_length: 2048,
  model_type: 'openvla',
  n_action_bins: 256,
  norm_stats: {
    bridge_orig: {
      action: {
        mask: [true, true, true, true, true, true, false],
        q01: [-0.0297, -0.0417, -0.0261, -0.0808, -0.0927, -0.2063, 0],
        q99: [0.0283, 0.0409, 0.0403, 0.0819, 0.0780, 0.2037, 1],
      },
      num_trajectories: 60064,
    },
  },
  output_projector_states: false,
  pad_to_multiple_of: 64,
  pad_token_id: 32000,
  text_config: { model_type: 'llama', pad_token_id: 32000, torch_dtype: 'bfloat16', vocab_size: 32064 },
  timm_model_ids: ['vit_large_patch14_reg4_dinov2.lvd142m', 'vit_so400m_patch14_siglip_224'],
  timm_override_act_layers: [null, null],
  torch_dtype: 'bfloat16',
  use_fused_vision_backbone: true,
  vision_backbone_id: 'dinosiglip-vit-so-224px',
};

test("openvla-7b's config.json: Llama-2-7B from LlamaConfig defaults, V = 32000, DINOv2 + SigLIP from their timm ids", () => {
  const cfg = parseVlaConfig(openvla7b);
  assert.deepEqual(cfg.llm, { vocabSize: 32064, hidden: 4096, intermediate: 11008, nLayers: 32, nHeads: 32, nKvHeads: 32, ropeTheta: 10000, eps: 1e-6 });
  assert.equal(cfg.vocabSize, 32000);
  assert.deepEqual(
    cfg.vision.map((v) => [v.width, v.depth, v.nHeads, v.mlpHidden, v.registers, v.classToken, v.layerScale, v.gelu, v.imageSize, v.patchSize]),
    [
      [1024, 24, 16, 4096, 4, true, true, 'erf', 224, 14],
      [1152, 27, 16, 4304, 0, false, false, 'erf', 224, 14],
    ],
  );
  assert.deepEqual(cfg.vision[0]!.mean, [0.485, 0.456, 0.406]);
  assert.deepEqual(cfg.vision[1]!.std, [0.5, 0.5, 0.5]);
  assert.deepEqual(cfg.normStats.bridge_orig!.action.mask, [true, true, true, true, true, true, false]);
});

test('explicit text_config sizes override the defaults; bad configs are refused by key', () => {
  const small = parseVlaConfig({ ...openvla7b, text_config: { vocab_size: 576, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000 } });
  assert.deepEqual(small.llm, { vocabSize: 576, hidden: 64, intermediate: 128, nLayers: 2, nHeads: 4, nKvHeads: 2, ropeTheta: 500000, eps: 1e-5 });
  const bad = (patch: Record<string, unknown>) => () => parseVlaConfig({ ...openvla7b, ...patch });
  assert.throws(bad({ text_config: undefined }), /"text_config" must be an object/);
  assert.throws(bad({ text_config: { vocab_size: 32064, hidden_size: 100, num_attention_heads: 32 } }), /hidden_size 100, 32 heads and 32 kv heads do not divide/);
  assert.throws(bad({ text_config: { vocab_size: 32064, num_hidden_layers: 0 } }), /"num_hidden_layers" must be a positive integer, got 0/);
  assert.throws(bad({ text_config: { vocab_size: 32064, rope_scaling: { type: 'linear', factor: 2 } } }), /rope_scaling is not supported/);
  assert.throws(bad({ timm_model_ids: ['vit_base_patch16_clip_224'] }), /unknown timm model "vit_base_patch16_clip_224"; describe it in "vision_config"/);
  assert.throws(bad({ n_action_bins: 128 }), /n_action_bins 128 is not supported/);
  assert.throws(bad({ pad_to_multiple_of: 31900 }), /vocabulary of 164 .* cannot hold 256 action tokens/);
  assert.throws(bad({ norm_stats: { libero_goal: { action: { q01: [0, 0], q99: [1, 1] } } } }), /norm_stats\["libero_goal"\]\.action needs q01 and q99 of 7 values/);
});

test("spec-vla's vision_config: merge and wrist_image_size, each checked against the patch grid", () => {
  const vit = { image_size: 128, patch_size: 16, width: 192, depth: 5, num_heads: 3, mlp_hidden: 768, merge: 2 };
  const parse = (v: Record<string, unknown>, n = 1) => parseVlaConfig({ ...openvla7b, timm_model_ids: undefined, vision_config: Array.from({ length: n }, () => ({ ...vit, ...v })) });
  assert.equal(parse({}).vision[0]!.wristImageSize, 0);
  assert.equal(parse({ wrist_image_size: 64 }).vision[0]!.wristImageSize, 64);
  assert.throws(() => parse({ wrist_image_size: 48 }), /merge 2 must divide the patch grid \(wrist_image_size \/ patch_size = 3\)/);
  assert.throws(() => parse({ wrist_image_size: -1 }), /"wrist_image_size" must be a positive integer/);
  assert.throws(() => parse({ wrist_image_size: 64 }, 2), /wrist view is supported with one vision backbone only/);
});
