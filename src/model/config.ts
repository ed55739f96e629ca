import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { N_BINS, type NormStats } from './action-tokenizer.js';
import type { LlamaConfig } from './llama.js';

/** One ViT of the vision backbone (timm VisionTransformer sizes). */
export interface VitConfig {
  imageSize: number;
  patchSize: number;
  width: number;
  depth: number;
  nHeads: number;
  mlpHidden: number;
  /** Register tokens after the class token (DINOv2 "reg4": 4). */
  registers: number;
  classToken: boolean;
  layerScale: boolean;
  gelu: 'erf' | 'tanh';
  eps: number;
  /** Per-channel pixel normalization after scaling to [0, 1]. */
  mean: [number, number, number];
  std: [number, number, number];
  /**
   * spec-vla's `merge` (default 1): the features of each k x k block of neighbouring patches are
   * concatenated into one token before the projector, so the language model sees k² times fewer
   * image tokens (fine patches for the ViT, a short prefill for the decoder).
   */
  merge: number;
  /**
   * spec-vla's `wrist_image_size` (default 0: none): a second, wrist-camera image of this size goes
   * through the same ViT with its own position table (`wrist_pos_embed`), and its tokens follow the
   * agent view's in the prefix. At 128 px the agent view barely shows whether the fingers hold the
   * object; the wrist camera sees them from a few centimetres.
   */
  wristImageSize: number;
}

/** A VLA checkpoint's config.json (OpenVLA's keys, plus `vision_config` for backbones timm ids do not describe). */
export interface VlaConfig {
  llm: LlamaConfig;
  /** Vocabulary size without padding: action token ids are [V - 256, V). */
  vocabSize: number;
  /** One ViT, or two fused on the channel axis (DINOv2 + SigLIP). */
  vision: VitConfig[];
  normStats: Record<string, { action: NormStats }>;
  nActionBins: number;
}

const IMAGENET: Pick<VitConfig, 'mean' | 'std'> = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF: Pick<VitConfig, 'mean' | 'std'> = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** The timm backbones OpenVLA uses, by id. */
const KNOWN_VITS: Record<string, Omit<VitConfig, 'imageSize' | 'merge' | 'wristImageSize'>> = {
  'vit_large_patch14_reg4_dinov2.lvd142m': { patchSize: 14, width: 1024, depth: 24, nHeads: 16, mlpHidden: 4096, registers: 4, classToken: true, layerScale: true, gelu: 'erf', eps: 1e-6, ...IMAGENET },
  // timm builds this SigLIP with its default nn.GELU (erf), not big_vision's tanh approximation.
  'vit_so400m_patch14_siglip_224': { patchSize: 14, width: 1152, depth: 27, nHeads: 16, mlpHidden: 4304, registers: 0, classToken: false, layerScale: false, gelu: 'erf', eps: 1e-6, ...HALF },
};

type Json = Record<string, unknown>;

function need<T>(obj: Json, key: string, where: string, check: (v: unknown) => boolean, what: string): T {
  const v = obj[key];
  if (!check(v)) throw new Error(`${where}: "${key}" must be ${what}, got ${JSON.stringify(v)}`);
  return v as T;
}
const isPosInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/**
 * Hugging Face LlamaConfig defaults (Llama-2-7B sizes). OpenVLA's config.json gives only
 * `text_config: { model_type, pad_token_id, torch_dtype, vocab_size }` and the model is built from
 * these defaults, rms_norm_eps 1e-6 included, so a missing key means its default here too.
 */
const LLAMA_DEFAULTS = { hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, rms_norm_eps: 1e-6, rope_theta: 10000 };

export function parseVlaConfig(json: Json, where = 'config.json'): VlaConfig {
  const given = need<Json>(json, 'text_config', where, (v) => typeof v === 'object' && v !== null, 'an object');
  const text: Json = { ...LLAMA_DEFAULTS, ...given };
  const tw = `${where} text_config`;
  const int = (k: string) => need<number>(text, k, tw, isPosInt, 'a positive integer');
  const num = (k: string) => need<number>(text, k, tw, (v) => isNum(v) && (v as number) > 0, 'a positive number');
  const hidden = int('hidden_size');
  const nHeads = int('num_attention_heads');
  const paddedVocab = int('vocab_size');
  const llm: LlamaConfig = {
    vocabSize: paddedVocab,
    hidden,
    intermediate: int('intermediate_size'),
    nLayers: int('num_hidden_layers'),
    nHeads,
    nKvHeads: text.num_key_value_heads === undefined || text.num_key_value_heads === null ? nHeads : int('num_key_value_heads'),
    ropeTheta: num('rope_theta'),
    eps: num('rms_norm_eps'),
  };
  if (text.rope_scaling) throw new Error(`${tw}: rope_scaling is not supported`);
  if (hidden % nHeads !== 0 || nHeads % llm.nKvHeads !== 0) throw new Error(`${tw}: hidden_size ${hidden}, ${nHeads} heads and ${llm.nKvHeads} kv heads do not divide`);
  const pad = json.pad_to_multiple_of === undefined ? 0 : need<number>(json, 'pad_to_multiple_of', where, (v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer');
  const vocabSize = paddedVocab - pad;
  const nActionBins = (json.n_action_bins as number | undefined) ?? N_BINS;
  if (nActionBins !== N_BINS) throw new Error(`${where}: n_action_bins ${nActionBins} is not supported (OpenVLA's action tokenizer uses ${N_BINS})`);
  if (vocabSize <= nActionBins) throw new Error(`${where}: vocabulary of ${vocabSize} (vocab_size ${paddedVocab} - pad_to_multiple_of ${pad}) cannot hold ${nActionBins} action tokens`);
  const imageSizes = (json.image_sizes as number[] | undefined) ?? [224, 224];
  let vision: VitConfig[];
  if (Array.isArray(json.vision_config)) {
    vision = (json.vision_config as Json[]).map((v, i) => parseVit(v, `${where} vision_config[${i}]`));
  } else {
    const ids = need<string[]>(json, 'timm_model_ids', where, Array.isArray, 'a list of timm ids (or give vision_config)');
    vision = ids.map((id, i) => {
      const known = KNOWN_VITS[id];
      if (!known) throw new Error(`${where}: unknown timm model "${id}"; describe it in "vision_config"`);
      return { ...known, imageSize: imageSizes[i] ?? 224, merge: 1, wristImageSize: 0 };
    });
  }
  if (vision.length < 1 || vision.length > 2) throw new Error(`${where}: expected one or two vision backbones, got ${vision.length}`);
  if (vision.length === 2 && vision.some((v) => v.wristImageSize > 0)) throw new Error(`${where}: a wrist view is supported with one vision backbone only`);
  const normStats = (json.norm_stats as VlaConfig['normStats'] | undefined) ?? {};
  for (const [key, s] of Object.entries(normStats)) {
    const a = s?.action;
    if (!a || !Array.isArray(a.q01) || !Array.isArray(a.q99) || a.q01.length !== 7 || a.q99.length !== 7) {
      throw new Error(`${where}: norm_stats["${key}"].action needs q01 and q99 of 7 values`);
    }
  }
  return { llm, vocabSize, vision, normStats, nActionBins };
}

function parseVit(v: Json, where: string): VitConfig {
  const int = (k: string) => need<number>(v, k, where, isPosInt, 'a positive integer');
  const norm = (v.normalization as string | undefined) ?? 'half';
  const out: VitConfig = {
    imageSize: int('image_size'),
    patchSize: int('patch_size'),
    width: int('width'),
    depth: int('depth'),
    nHeads: int('num_heads'),
    mlpHidden: int('mlp_hidden'),
    registers: (v.registers as number | undefined) ?? 0,
    classToken: Boolean(v.class_token),
    layerScale: Boolean(v.layer_scale),
    gelu: v.gelu === 'tanh' ? 'tanh' : 'erf',
    eps: isNum(v.eps) ? (v.eps as number) : 1e-6,
    ...(norm === 'imagenet' ? IMAGENET : HALF),
    merge: v.merge === undefined ? 1 : int('merge'),
    wristImageSize: v.wrist_image_size === undefined || v.wrist_image_size === 0 ? 0 : int('wrist_image_size'),
  };
  for (const [key, size] of [['image_size', out.imageSize], ['wrist_image_size', out.wristImageSize]] as const) {
    const grid = size / out.patchSize;
    if (!Number.isInteger(grid) || grid % out.merge !== 0) throw new Error(`${where}: merge ${out.merge} must divide the patch grid (${key} / patch_size = ${grid})`);
  }
  return out;
}

export function readVlaConfig(dir: string): VlaConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`${dir}: no config.json`);
  let json: Json;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseVlaConfig(json, path);
}
