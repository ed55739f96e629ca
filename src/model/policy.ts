import { concatColumns, concatRows, kernels, Tensor } from '../ops/index.js';
import { ActionTokenizer, unnormalizeAction } from './action-tokenizer.js';
import { ArDecoder } from './ar-decoder.js';
import { readVlaConfig, type VlaConfig } from './config.js';
import type { ActionDecoder, DecodeStats } from './decoder.js';
import { centerCrop, checkImage, patchify, resize, rotate180, type RgbImage } from './image.js';
import { LlamaModel } from './llama.js';
import { Projector } from './projector.js';
import { Checkpoint } from './safetensors.js';
import { TextTokenizer } from './text-tokenizer.js';
import { mergePatches, viewImageSize, VisionTransformer, type ImageView } from './vit.js';

export const ACTION_DIMS = 7;

export interface PredictOptions {
  /** Dataset statistics to un-normalize with (a key of config.json's norm_stats); optional when there is one. */
  unnormKey?: string;
  /** Decoder to use for this call (default: the policy's, greedy AR unless set). */
  decoder?: ActionDecoder;
  /** The wrist camera's frame: required by a model with a wrist view (`wristSize` > 0), refused by one without. */
  wrist?: RgbImage;
}

export interface PolicyOutput {
  /** The action un-normalized with the dataset statistics (OpenVLA's predict_action output). */
  action: number[];
  /** The decoded bin centers in [-1, 1]. */
  normalized: number[];
  tokens: number[];
  stats: DecodeStats;
  timings: { visionMs: number; prefillMs: number; decodeMs: number; totalMs: number };
}

export interface ObservationOptions {
  /** LIBERO's agent view is upside down: rotate it by 180 degrees first (default false). */
  rotate?: boolean;
  /** Center crop of 0.9 of the area, resized back (OpenVLA's eval option for models trained with crops). */
  centerCrop?: boolean;
}

/**
 * An OpenVLA-style policy: vision backbone(s) -> projector -> Llama, prompted with OpenVLA's
 * prompt, emitting 7 action tokens. Loads a Hugging Face checkpoint folder (config.json,
 * model.safetensors or shards, tokenizer.json).
 */
export class VlaPolicy {
  decoder: ActionDecoder;

  private constructor(
    readonly dir: string,
    readonly config: VlaConfig,
    readonly tokenizer: TextTokenizer,
    readonly actionTokenizer: ActionTokenizer,
    readonly vision: VisionTransformer[],
    readonly projector: Projector,
    readonly llm: LlamaModel,
  ) {
    this.decoder = new ArDecoder(llm);
    this.bf16 = bf16ByDefault();
  }

  /**
   * Whether the image and the prompt, which every decoder computes alike, run their products in bf16
   * (f32 accumulation). Those products are compute-bound and bf16 dot products double the multiply
   * rate; decoded, verified and prior tokens stay f32. Default: on where the kernels have bf16 dot
   * products (AVX512_BF16); SPEC_VLA_BF16=0 or 1 sets it.
   */
  get bf16(): boolean {
    return this.llm.bf16Prompt;
  }

  set bf16(on: boolean) {
    for (const vit of this.vision) vit.bf16 = on;
    this.projector.bf16 = on;
    this.llm.bf16Prompt = on;
  }

  static load(dir: string): VlaPolicy {
    const config = readVlaConfig(dir);
    const tokenizer = TextTokenizer.load(dir);
    if (tokenizer.vocab.size > config.llm.vocabSize) {
      throw new Error(`${dir}: tokenizer has ${tokenizer.vocab.size} tokens but the language model only ${config.llm.vocabSize}`);
    }
    const ckpt = Checkpoint.open(dir);
    const get = (name: string, shape: readonly number[]) => ckpt.tensor(name, shape);
    const fused = config.vision.length === 2;
    const vision = config.vision.map((v, i) => VisionTransformer.load(get, `vision_backbone.${i === 0 ? 'featurizer' : 'fused_featurizer'}.`, v));
    const visionDim = config.vision.reduce((s, v) => s + v.width * v.merge * v.merge, 0);
    const projector = Projector.load(get, 'projector.', visionDim, config.llm.hidden, fused, (n) => ckpt.shape(n));
    const llm = LlamaModel.load(get, 'language_model.', config.llm);
    return new VlaPolicy(dir, config, tokenizer, new ActionTokenizer(config.vocabSize), vision, projector, llm);
  }

  /** The wrist camera's frame size, 0 when the model has no wrist view. */
  get wristSize(): number {
    return this.config.vision[0]!.wristImageSize;
  }

  /** Resizes (and optionally rotates/crops) an observation to what the backbone expects; `view` picks the agent or the wrist size. */
  prepareImage(image: RgbImage, opts: ObservationOptions = {}, view: ImageView = 'agent'): RgbImage {
    checkImage(image);
    let img = opts.rotate ? rotate180(image) : image;
    const size = viewImageSize(this.config.vision[0]!, view);
    img = resize(img, size, size);
    return opts.centerCrop ? centerCrop(img, 0.9) : img;
  }

  /** Projected patch embeddings [patches, d] of an image already at the backbone's size for its view. */
  embedImage(img: RgbImage, view: ImageView = 'agent'): Tensor {
    const features = this.vision.map((vit, i) => {
      const c = this.config.vision[i]!;
      return mergePatches(vit.forward(patchify(img, c.patchSize, c.mean, c.std), view), viewImageSize(c, view) / c.patchSize, c.merge);
    });
    return this.projector.forward(features.length === 2 ? concatColumns(features[0]!, features[1]!) : features[0]!);
  }

  /**
   * The decoder's input: [BOS, image patches, wrist patches, prompt tokens] as embeddings [P, d]
   * (images already prepared; the wrist frame exactly when the model has a wrist view).
   */
  prefix(img: RgbImage, instruction: string, wrist?: RgbImage): Tensor {
    if (this.wristSize > 0 && !wrist) throw new Error(`${this.dir}: this model also reads a ${this.wristSize}x${this.wristSize} wrist-camera frame; none was given`);
    if (this.wristSize === 0 && wrist) throw new Error(`${this.dir}: this model has no wrist view, but a wrist-camera frame was given`);
    const ids = this.tokenizer.promptIds(instruction);
    const text = this.llm.embed(ids);
    const images = wrist ? [this.embedImage(img), this.embedImage(wrist, 'wrist')] : [this.embedImage(img)];
    return concatRows([text.slice(0, 1), ...images, text.slice(1, ids.length)]);
  }

  /** The norm_stats entry to use: the one asked for, or the only one. */
  normStats(unnormKey?: string) {
    const keys = Object.keys(this.config.normStats);
    if (unnormKey !== undefined) {
      const s = this.config.normStats[unnormKey];
      if (!s) throw new Error(`unknown unnorm_key "${unnormKey}"; this model has: ${keys.join(', ') || '(none)'}`);
      return s.action;
    }
    if (keys.length === 1) return this.config.normStats[keys[0]!]!.action;
    throw new Error(keys.length === 0 ? 'this model has no norm_stats to un-normalize with' : `several datasets (${keys.join(', ')}): pass unnormKey`);
  }

  predictAction(image: RgbImage, instruction: string, opts: PredictOptions & ObservationOptions = {}): PolicyOutput {
    if (!instruction.trim()) throw new Error('instruction is empty');
    const stats = this.normStats(opts.unnormKey);
    const t0 = performance.now();
    const prefix = this.prefix(this.prepareImage(image, opts), instruction, opts.wrist && this.prepareImage(opts.wrist, opts, 'wrist'));
    const visionMs = performance.now() - t0;
    const { tokens, stats: decodeStats } = (opts.decoder ?? this.decoder).decode(prefix, ACTION_DIMS);
    const normalized = this.actionTokenizer.decode(tokens);
    return {
      action: unnormalizeAction(normalized, stats),
      normalized,
      tokens,
      stats: decodeStats,
      timings: { visionMs, prefillMs: decodeStats.prefillMs, decodeMs: decodeStats.totalMs - decodeStats.prefillMs, totalMs: performance.now() - t0 },
    };
  }
}

/** Whether a policy loads with bf16 image and prompt: SPEC_VLA_BF16=0|1, else where the kernels have bf16 dot products. */
export function bf16ByDefault(): boolean {
  const env = process.env.SPEC_VLA_BF16;
  if (env === undefined || env === '') return kernels().fastBf16;
  if (env !== '0' && env !== '1') throw new Error(`SPEC_VLA_BF16 must be 0 or 1, got "${env}"`);
  return env === '1';
}
