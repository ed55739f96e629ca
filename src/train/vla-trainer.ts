import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { argmax, concatRows, Tape, Tensor, type Var } from '../ops/index.js';
import { seededRandom } from '../ops/random.js';
import { ActionTokenizer, buildWordTokenizer, N_BINS, encodeSafetensors, mergeOrder, normalizeAction, patchify, SafetensorsFile, splitWords, TextTokenizer, type NormStats, type RgbImage } from '../model/index.js';
import { augmentImage } from './augment.js';
import { toDatasetAction } from './collect.js';
import { sameGripperCommand, STATE_VALUES, type EpisodeStore } from './dataset.js';
import { initLlamaBlock, llamaBlock, type LlamaBlockConfig } from './llama-block.js';
import { AdamW, clipGradNorm, warmupCosine } from './optim.js';
import { Initializer, ParamSet } from './params.js';
import { initVitBlock, vitBlock, type VitBlockConfig } from './vit-block.js';

/** Sizes of a small Prismatic-shaped VLA: one SigLIP-style ViT -> fc1-GELU-fc2 projector -> Llama. */
export interface SmallVlaConfig {
  imageSize: number;
  patchSize: number;
  vitWidth: number;
  /** Blocks in the config; the last is never used (features come from the second-to-last), so depth - 1 are trained. */
  vitDepth: number;
  vitHeads: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  /** Unpadded vocabulary (words + specials + 256 action tokens). */
  vocabSize: number;
  /** Each k x k block of patch features becomes one decoder token (VitConfig.merge); default 1. */
  merge?: number;
  /**
   * A second, wrist-camera image of this size (VitConfig.wristImageSize): the same ViT with its own
   * position table, its tokens after the agent view's. 0 or absent: none.
   */
  wristImageSize?: number;
  /**
   * Weight of an auxiliary loss (training only, never exported): the action bins predicted by one
   * linear layer straight from the image tokens. It gives the vision tower a short gradient path to
   * action-relevant features; through the decoder alone a from-scratch ViT stays unused for
   * thousands of steps while the decoder learns the action marginals. 0 or absent: none.
   */
  imageHead?: number;
  /**
   * Weight of a second training-only loss: from the decoder's state where it predicts the first
   * action token, one linear layer regresses where the hand goes before the gripper next acts (the
   * sum of the remaining demonstration actions up to then). The action tokens only say which way to
   * move this step; this says how far, so the decoder has to find the instructed object in the
   * image, which the action loss alone left unlearned (the policy moved the same way on every
   * layout of a task). 0 or absent: none.
   */
  waypointHead?: number;
  /**
   * Weight of a third training-only loss, from datasets that record where things are in each frame
   * (Episode.points): the ViT's features point at the patch holding the hand (a softmax over
   * patches), and the decoder's state before the first action token points at the patches holding
   * the hand and the expert's aim (the instructed object, the plate, the drawer). Pointing at the
   * instructed object is the grounding the action loss alone left unlearned; it is dense (one of 64
   * patches, not one of three moves) and lasts the whole approach. 0 or absent: none.
   */
  pointHead?: number;
  /**
   * Weight of a fourth training-only loss, from datasets that record the simulator's state behind
   * each frame (Episode.states): one linear layer regresses the hand's position and the finger
   * opening from the image tokens, another regresses those and the expert's aim from the decoder's
   * state before the first action token (smooth-L1 in centimetres). The expert's move is a function
   * of that state (a nearest neighbour on it reproduces 96% of the spatial suite's moves on unseen
   * layouts) while the policy cloned from pixels alone got the height move right on 72% of frames:
   * reading that state from the frame is what the action loss alone taught too slowly. 0 or absent: none.
   */
  stateHead?: number;
  /**
   * Weight of a fifth training-only loss, from datasets with points: the decoder's state before the
   * first action token picks, by content, the agent-view decoder token holding the expert's aim (a
   * query from that state against a key from each image token, softmax over the tokens). The point
   * head classifies the aim's absolute patch, which needs the decoder to have found the object
   * already; matching needs only the named object's look in the state and in the image tokens, so
   * its gradient teaches the image tokens to carry which object is where and the decoder to carry
   * which one the instruction names, the two halves the object suite's grounding lacked. 0 or absent: none.
   */
  aimHead?: number;
  /**
   * Weight of a sixth training-only loss: one linear layer redraws, from each agent-view image token,
   * its region of the frame as a grid of mean colors (cells of half a patch; smooth-L1). Trained for
   * actions alone, the image tokens kept where the hand is and dropped what the objects look like: a
   * linear per-instruction template found the named object's token from the frame's mean colors on
   * 90% of held-out object-suite layouts, and from the tokens on 33% (the position prior: 31%). 0 or absent: none.
   */
  reconHead?: number;
  /**
   * How much more the reconstruction head's cells unlike their frame's commonest colors (objects,
   * the basket, the hand; not the table) count: their target and drawing are scaled by it, so
   * under smooth-L1 their errors weigh up to its square. The loss averaged over every cell spends
   * its gradient on the table, and the objects' colors stayed too coarse to tell them apart.
   * 1 or absent: every cell alike.
   */
  reconGain?: number;
  /**
   * Weight of a seventh training-only loss, from datasets with points: the decoder's own attention
   * (layer `layers / 2`, head 0) from the position that predicts the first action token is taught to
   * fall on the agent-view token holding the expert's aim (cross-entropy over every key that position
   * sees), on the frames whose hand is not on the aim's token (elsewhere the hand gave the answer).
   * The aim head's separate query and keys found the named object while the action path still moved
   * alike for every instruction of a layout; this puts the finding on the path the actions are read
   * from. 0 or absent: none.
   */
  attendHead?: number;
  /**
   * Weight of an eighth training-only loss: the residual entering that same middle layer, at the
   * position that predicts the first action token, names the words that tell its instruction apart
   * (one linear layer over the vocabulary, cross-entropy on each prompt word found in at most half of
   * the datasets' instructions: on every word, the template's twenty drowned the object's one). A
   * probe (bench/binding-probe.js) read the named object from that state on 11 to 20% of
   * object-suite first frames (chance 10%): the instruction never reached the position that acts, so
   * no attention from there could look for it. 0 or absent: none.
   */
  instructionHead?: number;
}

/**
 * The default: 64 patches of 16 px merged 2 x 2 into 16 decoder tokens (fine detail for the ViT, a
 * short prefill for the decoder: on this CPU a prefill costs compute) and an 8-layer decoder of width
 * 256 (one draft layer is an eighth of it).
 */
export const DEFAULT_SMALL_VLA: SmallVlaConfig = { imageSize: 128, patchSize: 16, merge: 2, vitWidth: 192, vitDepth: 5, vitHeads: 3, hidden: 256, layers: 8, heads: 4, kvHeads: 2, intermediate: 688, vocabSize: 384, imageHead: 1 };
const PAD = 64;
const MEAN: [number, number, number] = [0.5, 0.5, 0.5];
const VIT = 'vision_backbone.featurizer.';
const WRIST_POS = `${VIT}wrist_pos_embed`;
/** Training-only parameters (never exported). */
const TRAINING_ONLY = 'training.';
const IMAGE_HEAD = `${TRAINING_ONLY}image_head.`;
const WAYPOINT_HEAD = `${TRAINING_ONLY}waypoint_head.`;
const POINT_HEAD = `${TRAINING_ONLY}point_head.`;
const STATE_HEAD = `${TRAINING_ONLY}state_head.`;
const AIM_HEAD = `${TRAINING_ONLY}aim_head.`;
const RECON_HEAD = `${TRAINING_ONLY}recon_head.`;
const INSTRUCTION_HEAD = `${TRAINING_ONLY}instruction_head.`;
/**
 * One decoder layer's input and rotated queries and keys, caught for the attend and instruction
 * heads' losses, with each sample's first row and its acting row (the one that predicts the first
 * action token).
 */
interface AttentionTap {
  layer: number;
  found?: { x: Var; q: Var; k: Var; starts: number[]; acting: number[] };
}
/** Width of the aim head's query and keys. */
const AIM_WIDTH = 64;
/** The state head's targets are in centimetres: smooth-L1 is quadratic within 1 cm, linear beyond. */
const STATE_SCALE = 100;
/** Its outputs are in decimetres (scaled to centimetres for the loss): targets of tens of centimetres are then a few Adam steps away, not hundreds. */
const STATE_OUTPUT_SCALE = 10;
/** Of Episode.states, what the image tokens are asked for: the hand's position and the finger opening. */
const IMAGE_STATE_VALUES = 4;

export interface VlaTrainingOptions {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /** Steps between checkpoints. */
  checkpointEvery: number;
  unnormKey: string;
  /** Stop (after writing a checkpoint) once this many steps have run in this invocation: splits long training into sessions. */
  stopAfter?: number;
  /** Stop (after writing a checkpoint) at this step of `steps`: one stage of a recipe that then changes data. */
  until?: number;
  /** Start from this exported model instead of random weights (see initFromModel); ignored when resuming a checkpoint. */
  initFrom?: string;
  /** Called once a run has started from `initFrom`, with the training-only head tensors its checkpoint gave. */
  onInitFrom?: (continuedHeads: readonly string[]) => void;
  /** Storage dtype of the exported weights (default BF16). */
  exportDtype?: 'F32' | 'BF16';
  /**
   * How many times more often a frame of an approach is drawn (default 1: uniform): the frames of a
   * demonstration before the hand first stands still over its target in the table plane (see
   * approachFrames). Only there does the move depend on where the instructed object lies; every
   * later phase moves relative to what is already under the hand. The cloned policy moved the
   * wrong way on most approach frames while agreeing with the expert on most others.
   */
  approachWeight?: number;
  /**
   * How many times more often the frames around a gripper command change are drawn (default 1): the
   * frame whose label first closes (or opens) the gripper and the frames before and after it. A grasp is one
   * label per demonstration, between frames that differ by a centimetre of height; drawn uniformly,
   * the cloned policy kept descending onto the object without ever closing its fingers.
   */
  gripWeight?: number;
  /** tokenAccuracy: over all 7 action tokens; dimAccuracy: per action dimension (x y z roll pitch yaw gripper). */
  /** imageHeadLoss: the image head's cross-entropy (null without one): how much of the action the image tokens alone explain; waypointHeadLoss likewise. */
  onProgress?: (p: { step: number; steps: number; loss: number; imageHeadLoss: number | null; waypointHeadLoss: number | null; pointHeadLoss: number | null; stateHeadLoss: number | null; aimHeadLoss: number | null; reconHeadLoss: number | null; attendHeadLoss: number | null; instructionHeadLoss: number | null; samplesPerSec: number; etaSec: number; tokenAccuracy: number; dimAccuracy: number[] }) => void;
  progressEvery?: number;
}

interface Frame {
  image: RgbImage;
  /** The wrist camera's frame, for a model with a wrist view. */
  wrist?: RgbImage;
  prompt: readonly number[];
  actionTokens: readonly number[];
  /** The waypoint head's target (x, y, z), or null where the labels are not what was executed (DAgger). */
  waypoint?: readonly number[] | null;
  /** The point head's targets: the patches (row-major) holding the hand and the aim, -1 where unknown; null without points. */
  points?: readonly [number, number] | null;
  /** The state head's targets (Episode.states less their mean over the dataset, metres); null without states. */
  state?: readonly number[] | null;
}

/**
 * Trains the small VLA on demonstrations with next-token cross-entropy on the 7 action tokens, and
 * writes it in OpenVLA's checkpoint layout (so VlaPolicy loads it like any OpenVLA checkpoint).
 * Checkpoints (weights + optimizer state + step) are written atomically every few hundred steps; a
 * killed run started again with the same output folder continues from the last one.
 */
export class VlaTrainer {
  readonly params = new ParamSet();
  readonly tokenizer: TextTokenizer;
  private readonly tokenizerFiles: ReturnType<typeof buildWordTokenizer>;
  private readonly actions: ActionTokenizer;
  private readonly llmBlock: LlamaBlockConfig;
  private readonly vitBlockCfg: VitBlockConfig;

  constructor(
    readonly cfg: SmallVlaConfig,
    instructions: readonly string[],
    seed: number,
  ) {
    const words = instructions.flatMap((i) => splitWords(i.toLowerCase()));
    this.tokenizerFiles = buildWordTokenizer(words, cfg.vocabSize);
    this.tokenizer = TextTokenizer.fromJson(this.tokenizerFiles.tokenizer, this.tokenizerFiles.config);
    this.actions = new ActionTokenizer(cfg.vocabSize);
    this.llmBlock = { hidden: cfg.hidden, intermediate: cfg.intermediate, nHeads: cfg.heads, nKvHeads: cfg.kvHeads, ropeTheta: 10000, eps: 1e-6, inputNorm: true };
    this.vitBlockCfg = { width: cfg.vitWidth, mlpHidden: 4 * cfg.vitWidth, nHeads: cfg.vitHeads, eps: 1e-6, layerScale: false };
    const init = new Initializer(seed);
    const { vitWidth: D, patchSize: P, hidden: d } = cfg;
    const nPatches = (cfg.imageSize / P) ** 2;
    const wristPatches = ((cfg.wristImageSize ?? 0) / P) ** 2;
    if (wristPatches && cfg.pointHead) throw new Error('the point head reads the agent view alone: train a wrist view without it');
    this.params.set(`${VIT}patch_embed.proj.weight`, init.normal([D, 3, P, P], 0.02));
    this.params.set(`${VIT}patch_embed.proj.bias`, init.zeros([D]));
    this.params.set(`${VIT}pos_embed`, init.normal([1, nPatches, D], 0.02));
    if (wristPatches) this.params.set(WRIST_POS, init.normal([1, wristPatches, D], 0.02));
    for (let i = 0; i < cfg.vitDepth - 1; i++) initVitBlock(this.params, `${VIT}blocks.${i}`, this.vitBlockCfg, init);
    const k = cfg.merge ?? 1;
    for (const size of [cfg.imageSize, cfg.wristImageSize ?? 0]) if ((size / P) % k !== 0) throw new Error(`merge ${k} must divide the patch grid ${size / P}`);
    // Decoder tokens per sample: the agent view's, then the wrist view's.
    const imageTokens = (nPatches + wristPatches) / (k * k);
    this.params.set('projector.fc1.weight', init.normal([d, D * k * k], 0.02));
    this.params.set('projector.fc1.bias', init.zeros([d]));
    this.params.set('projector.fc2.weight', init.normal([d, d], 0.02));
    this.params.set('projector.fc2.bias', init.zeros([d]));
    this.params.set('language_model.model.embed_tokens.weight', init.normal([cfg.vocabSize + PAD, d], 0.02));
    for (let i = 0; i < cfg.layers; i++) initLlamaBlock(this.params, `language_model.model.layers.${i}`, this.llmBlock, init);
    this.params.set('language_model.model.norm.weight', init.ones([d]));
    this.params.set('language_model.lm_head.weight', init.normal([cfg.vocabSize + PAD, d], 0.02));
    if (cfg.imageHead) {
      this.params.set(`${IMAGE_HEAD}weight`, init.normal([7 * N_BINS, imageTokens * d], 0.02));
      this.params.set(`${IMAGE_HEAD}bias`, init.zeros([7 * N_BINS]));
    }
    if (cfg.waypointHead) {
      this.params.set(`${WAYPOINT_HEAD}weight`, init.normal([3, d], 0.02));
      this.params.set(`${WAYPOINT_HEAD}bias`, init.zeros([3]));
    }
    if (cfg.pointHead) {
      this.params.set(`${POINT_HEAD}patch.weight`, init.normal([1, D], 0.02));
      this.params.set(`${POINT_HEAD}patch.bias`, init.zeros([1]));
      this.params.set(`${POINT_HEAD}weight`, init.normal([2 * nPatches, d], 0.02));
      this.params.set(`${POINT_HEAD}bias`, init.zeros([2 * nPatches]));
    }
    if (cfg.stateHead) {
      this.params.set(`${STATE_HEAD}image.weight`, init.normal([IMAGE_STATE_VALUES, imageTokens * d], 0.02));
      this.params.set(`${STATE_HEAD}image.bias`, init.zeros([IMAGE_STATE_VALUES]));
      this.params.set(`${STATE_HEAD}weight`, init.normal([STATE_VALUES, d], 0.02));
      this.params.set(`${STATE_HEAD}bias`, init.zeros([STATE_VALUES]));
    }
    if (cfg.instructionHead) this.params.set(`${INSTRUCTION_HEAD}weight`, init.normal([cfg.vocabSize, d], 0.02));
    if (cfg.aimHead) {
      this.params.set(`${AIM_HEAD}query.weight`, init.normal([AIM_WIDTH, d], 0.02));
      this.params.set(`${AIM_HEAD}key.weight`, init.normal([AIM_WIDTH, d], 0.02));
    }
    if (cfg.reconHead) {
      const cells = (2 * k) ** 2 * 3;
      this.params.set(`${RECON_HEAD}weight`, init.normal([cells, d], 0.02));
      this.params.set(`${RECON_HEAD}bias`, init.zeros([cells]));
    }
  }

  /** Logits [7, vocab] of the positions that predict the 7 action tokens, teacher-forced on `actionTokens`. */
  forward(tape: Tape, image: RgbImage, prompt: readonly number[], actionTokens: readonly number[], wrist?: RgbImage): Var {
    return this.forwardBatch(tape, [{ image, prompt, actionTokens, wrist }]);
  }

  /** The projected image tokens of a batch [batch·tokens, hidden]: ViT (all blocks but the last), merge, projector. */
  encodeImages(tape: Tape, batch: readonly Frame[]): Var {
    return this.project(tape, this.vitFeatures(tape, batch), batch.length);
  }

  /**
   * The ViT's patch features of a batch [batch·patches, vitWidth] (all blocks but the last): per
   * sample the agent view's patches, then the wrist view's; attention stays within each image.
   */
  private vitFeatures(tape: Tape, batch: readonly Frame[]): Var {
    const p = (n: string) => this.params.get(n);
    const { vitWidth: D, patchSize: P } = this.cfg;
    const wrist = (this.cfg.wristImageSize ?? 0) > 0;
    const images = batch.flatMap((f) => {
      if (wrist && !f.wrist) throw new Error('this model has a wrist view: every frame needs its wrist image');
      return wrist ? [f.image, f.wrist!] : [f.image];
    });
    const patchRows = images.map((img) => patchify(img, P, MEAN, MEAN));
    let v = tape.linear(tape.constant(concatRows(patchRows)), tape.reshape(p(`${VIT}patch_embed.proj.weight`), [D, 3 * P * P]), p(`${VIT}patch_embed.proj.bias`));
    const agentRows = patchRows[0]!.rows;
    const agentPos = tape.reshape(p(`${VIT}pos_embed`), [agentRows, D]);
    const samplePos = wrist ? [agentPos, tape.reshape(p(WRIST_POS), [patchRows[1]!.rows, D])] : [agentPos];
    const pos = samplePos.length === 1 ? samplePos[0]! : tape.concatRows(samplePos);
    v = tape.add(v, batch.length === 1 ? pos : tape.concatRows(batch.map(() => pos)));
    const imageSegments = patchRows.map((r) => r.rows);
    for (let i = 0; i < this.cfg.vitDepth - 1; i++) v = vitBlock(tape, this.params, `${VIT}blocks.${i}`, v, this.vitBlockCfg, imageSegments);
    return v;
  }

  /** ViT features -> decoder tokens: the k x k merge (within each image), then the projector. */
  private project(tape: Tape, features: Var, batchSize: number): Var {
    const p = (n: string) => this.params.get(n);
    const { vitWidth: D, patchSize: P } = this.cfg;
    const vitTokens = features.value.rows / batchSize;
    const k = this.cfg.merge ?? 1;
    const nPatches = vitTokens / (k * k);
    let v = features;
    if (k > 1) {
      const agent = mergeOrder(this.cfg.imageSize / P, k);
      const wristSize = this.cfg.wristImageSize ?? 0;
      const order = wristSize ? [...agent, ...Array.from(mergeOrder(wristSize / P, k), (r) => agent.length + r)] : Array.from(agent);
      const ids = Array.from({ length: batchSize }, (_, b) => order.map((r) => b * vitTokens + r)).flat();
      v = tape.reshape(tape.embedding(v, ids), [batchSize * nPatches, D * k * k]);
    }
    return tape.linear(tape.gelu(tape.linear(v, p('projector.fc1.weight'), p('projector.fc1.bias')), 'erf'), p('projector.fc2.weight'), p('projector.fc2.bias'));
  }

  /** The auxiliary image head's loss: the 7 action bins of each sample from its image tokens alone (cross-entropy per dimension). */
  private imageHeadLoss(tape: Tape, projected: Var, batch: readonly Frame[]): Var {
    const flat = tape.reshape(projected, [batch.length, projected.value.size / batch.length]);
    const logits = tape.reshape(tape.linear(flat, this.params.get(`${IMAGE_HEAD}weight`), this.params.get(`${IMAGE_HEAD}bias`)), [batch.length * 7, N_BINS]);
    const first = this.actions.firstToken;
    return tape.crossEntropy(logits, Int32Array.from(batch.flatMap((f) => f.actionTokens.map((t) => t - first))));
  }

  /**
   * A batch of samples in one graph: every linear layer runs on all samples' rows at once, attention
   * stays within each sample. Returns logits [7·batch, vocab] for the action positions, in sample order.
   */
  forwardBatch(tape: Tape, batch: readonly Frame[], projected: Var = this.encodeImages(tape, batch)): Var {
    return tape.linear(this.decodeBatch(tape, batch, projected), this.params.get('language_model.lm_head.weight'));
  }

  /** The decoder's final (normalized) states [7·batch, hidden] at the positions that predict the action tokens. */
  private decodeBatch(tape: Tape, batch: readonly Frame[], projected: Var, attention?: AttentionTap): Var {
    const p = (n: string) => this.params.get(n);
    const nPatches = projected.value.rows / batch.length;
    const parts: Var[] = [];
    const segments: number[] = [];
    batch.forEach((f, b) => {
      const text = tape.embedding(p('language_model.model.embed_tokens.weight'), [...f.prompt, ...f.actionTokens.slice(0, 6)]);
      parts.push(tape.sliceRows(text, 0, 1), tape.sliceRows(projected, b * nPatches, (b + 1) * nPatches), tape.sliceRows(text, 1, text.value.rows));
      segments.push(text.value.rows + nPatches);
    });
    let x = tape.concatRows(parts);
    const positions = Int32Array.from(segments.flatMap((n) => Array.from({ length: n }, (_, i) => i)));
    const starts = segments.map((_, b) => segments.slice(0, b).reduce((a, n) => a + n, 0));
    const acting = segments.map((n, b) => starts[b]! + n - 7);
    for (let i = 0; i < this.cfg.layers; i++) {
      const input = x;
      const tap = attention?.layer === i ? (q: Var, k: Var) => (attention.found = { x: input, q, k, starts, acting }) : undefined;
      x = llamaBlock(tape, this.params, `language_model.model.layers.${i}`, x, positions, segments, this.llmBlock, tap);
    }
    // In each sample, the positions from its last prompt token on predict the action tokens.
    let end = 0;
    const actionRows = segments.map((n) => {
      end += n;
      return tape.sliceRows(x, end - 7, end);
    });
    return tape.rmsNorm(actionRows.length === 1 ? actionRows[0]! : tape.concatRows(actionRows), p('language_model.model.norm.weight'), 1e-6);
  }

  /** The waypoint head's loss: smooth-L1 from each sample's state before its first action token (samples without a target skipped). */
  private waypointHeadLoss(tape: Tape, first: Var, batch: readonly Frame[]): Var {
    const pred = tape.linear(first, this.params.get(`${WAYPOINT_HEAD}weight`), this.params.get(`${WAYPOINT_HEAD}bias`));
    const target = Tensor.from(batch.flatMap((f) => f.waypoint ?? [0, 0, 0]), [batch.length, 3]);
    return tape.smoothL1(pred, target, batch.map((f) => !!f.waypoint));
  }

  /**
   * The point head's loss: cross-entropy over the patches, of the hand's patch from each ViT patch
   * feature (one logit a patch), and of the hand's and the aim's patches from the decoder's state
   * before the first action token (a logit per patch for each); unknown points are skipped.
   */
  private pointHeadLoss(tape: Tape, features: Var, first: Var, batch: readonly Frame[]): Var {
    const p = (n: string) => this.params.get(n);
    const patches = features.value.rows / batch.length;
    const hand = Int32Array.from(batch, (f) => f.points?.[0] ?? -1);
    const patchLogits = tape.reshape(tape.linear(features, p(`${POINT_HEAD}patch.weight`), p(`${POINT_HEAD}patch.bias`)), [batch.length, patches]);
    const decoderLogits = tape.reshape(tape.linear(first, p(`${POINT_HEAD}weight`), p(`${POINT_HEAD}bias`)), [2 * batch.length, patches]);
    const decoderTargets = Int32Array.from(batch.flatMap((f) => [f.points?.[0] ?? -1, f.points?.[1] ?? -1]));
    return tape.weightedSum([[tape.crossEntropy(patchLogits, hand), 0.5], [tape.crossEntropy(decoderLogits, decoderTargets), 0.5]]);
  }

  /** The state head's loss: the hand and opening from the image tokens, those and the aim from the decoder (samples without states skipped). */
  private stateHeadLoss(tape: Tape, projected: Var, first: Var, batch: readonly Frame[]): Var {
    const p = (n: string) => this.params.get(n);
    const has = batch.map((f) => !!f.state);
    const target = (values: number) => Tensor.from(batch.flatMap((f) => (f.state ?? new Array<number>(STATE_VALUES).fill(0)).slice(0, values).map((v) => v * STATE_SCALE)), [batch.length, values]);
    const flat = tape.reshape(projected, [batch.length, projected.value.size / batch.length]);
    const fromImage = tape.scale(tape.linear(flat, p(`${STATE_HEAD}image.weight`), p(`${STATE_HEAD}image.bias`)), STATE_OUTPUT_SCALE);
    const fromDecoder = tape.scale(tape.linear(first, p(`${STATE_HEAD}weight`), p(`${STATE_HEAD}bias`)), STATE_OUTPUT_SCALE);
    return tape.weightedSum([[tape.smoothL1(fromImage, target(IMAGE_STATE_VALUES), has), 0.5], [tape.smoothL1(fromDecoder, target(STATE_VALUES), has), 0.5]]);
  }

  /** The agent view's image tokens of a batch [batch·tokens, hidden], out of all the projected ones (the wrist view's follow them per sample). */
  private agentTokens(tape: Tape, projected: Var, samples: number): Var {
    const grid = this.cfg.imageSize / this.cfg.patchSize;
    const agent = (grid / (this.cfg.merge ?? 1)) ** 2;
    const perSample = projected.value.rows / samples;
    return tape.embedding(projected, Array.from({ length: samples * agent }, (_, r) => Math.floor(r / agent) * perSample + (r % agent)));
  }

  /**
   * The reconstruction head's loss: smooth-L1 between what one linear layer draws from each
   * agent-view image token and its region's mean colors, in cells of half a patch (row-major within
   * the token, RGB; 64 levels a unit, centred on mid-gray), of the augmented frame the token saw.
   */
  private reconHeadLoss(tape: Tape, projected: Var, batch: readonly Frame[]): Var {
    const values = batch.flatMap((f) => tokenColorGrid(f.image, this.cfg.patchSize, this.cfg.merge ?? 1));
    const pred = tape.linear(this.agentTokens(tape, projected, batch.length), this.params.get(`${RECON_HEAD}weight`), this.params.get(`${RECON_HEAD}bias`));
    const gain = reconCellGain(values, batch.length, this.cfg.reconGain ?? 1);
    return tape.smoothL1(tape.mul(pred, tape.constant(Tensor.from(gain, pred.value.shape))), Tensor.from(values.map((v, i) => v * gain[i]!), pred.value.shape));
  }

  /**
   * The aim head's loss: per sample, a query from the decoder's state before the first action token
   * against a key from each agent-view image token (scaled dot products), cross-entropy on the token
   * holding the aim (samples without points, or with the aim off the frame, skipped).
   */
  private aimHeadLoss(tape: Tape, projected: Var, first: Var, batch: readonly Frame[]): Var {
    const p = (n: string) => this.params.get(n);
    const grid = this.cfg.imageSize / this.cfg.patchSize;
    const k = this.cfg.merge ?? 1;
    const keys = tape.linear(this.agentTokens(tape, projected, batch.length), p(`${AIM_HEAD}key.weight`));
    const agentTokens = keys.value.rows / batch.length;
    const query = tape.linear(first, p(`${AIM_HEAD}query.weight`));
    const queries = tape.embedding(query, batch.flatMap((_, b) => new Array<number>(agentTokens).fill(b)));
    const sum = tape.constant(Tensor.from(new Array<number>(AIM_WIDTH).fill(1 / Math.sqrt(AIM_WIDTH)), [1, AIM_WIDTH]));
    const logits = tape.reshape(tape.linear(tape.mul(queries, keys), sum), [batch.length, agentTokens]);
    const targets = Int32Array.from(batch, (f) => mergedToken(f.points?.[1] ?? -1, grid, k));
    return tape.crossEntropy(logits, targets);
  }

  /**
   * The attend head's loss: per sample, head 0's scaled dot products from the position that predicts
   * the first action token against every key it sees (its own included), cross-entropy on the
   * agent-view token holding the aim (samples without points, with the aim off the frame, or with the
   * hand on the aim's token, skipped).
   */
  private attendHeadLoss(tape: Tape, found: NonNullable<AttentionTap['found']>, batch: readonly Frame[]): Var {
    const headDim = this.cfg.hidden / this.cfg.heads;
    const grid = this.cfg.imageSize / this.cfg.patchSize;
    const merge = this.cfg.merge ?? 1;
    // Head 0's columns of the queries and of the (shared) key head 0, by a fixed selection matrix.
    const select = (cols: number) => tape.constant(Tensor.from(Array.from({ length: headDim * cols }, (_, i) => (i % cols === Math.floor(i / cols) ? 1 : 0)), [headDim, cols]));
    const q = tape.linear(found.q, select(found.q.value.cols));
    const k = tape.linear(found.k, select(found.k.value.cols));
    const { starts, acting } = found;
    // The acting row sees the rows of its sample up to itself.
    const seen = acting.map((row, b) => row - starts[b]! + 1);
    const width = Math.max(...seen);
    const queryRows: number[] = [];
    const keyRows: number[] = [];
    const mask: number[] = [];
    acting.forEach((row, b) => {
      for (let j = 0; j < width; j++) {
        queryRows.push(row);
        keyRows.push(starts[b]! + (j < seen[b]! ? j : 0));
        mask.push(j < seen[b]! ? 0 : -1e9);
      }
    });
    const sum = tape.constant(Tensor.from(new Array<number>(headDim).fill(1 / Math.sqrt(headDim)), [1, headDim]));
    const scores = tape.reshape(tape.linear(tape.mul(tape.embedding(q, queryRows), tape.embedding(k, keyRows)), sum), [batch.length, width]);
    const logits = tape.add(scores, tape.constant(Tensor.from(mask, [batch.length, width])));
    // The agent view's tokens follow the BOS token. A frame whose hand shares the aim's token is
    // skipped: on most frames (descend, grasp, lift) the hand is at its aim, and "attend where the
    // hand is" answered them all without reading the instruction.
    const targets = Int32Array.from(batch, (f) => {
      const t = mergedToken(f.points?.[1] ?? -1, grid, merge);
      return t < 0 || t === mergedToken(f.points![0]!, grid, merge) ? -1 : 1 + t;
    });
    return tape.crossEntropy(logits, targets);
  }

  /** The instruction head's loss: per sample, cross-entropy of each telling word of its prompt from the tapped layer's input at the acting position. */
  private instructionHeadLoss(tape: Tape, found: NonNullable<AttentionTap['found']>, batch: readonly Frame[], telling: ReadonlySet<number>): Var {
    const rows: number[] = [];
    const targets: number[] = [];
    batch.forEach((f, b) => {
      for (const word of new Set(f.prompt)) {
        if (!telling.has(word)) continue;
        rows.push(found.acting[b]!);
        targets.push(word);
      }
    });
    const logits = tape.linear(tape.embedding(found.x, rows), this.params.get(`${INSTRUCTION_HEAD}weight`));
    return tape.crossEntropy(logits, Int32Array.from(targets));
  }

  /**
   * The frames of a store as training examples, kept as flat arrays (episode, frame, 7 action tokens
   * each): the images stay on disk until a step draws them. Tens of thousands of small objects per
   * example made every garbage collection (several a step) walk them all.
   */
  private examples(stores: readonly EpisodeStore[], stats: NormStats, focus: { approach?: number; grip?: number } = {}): { count: number; pick: (u: number) => number; draw: (k: number) => Frame } {
    const entries = stores.flatMap((store) => store.index.episodes.map((e) => ({ store, e })));
    const episodes = entries.map(({ store, e }) => store.openOnDisk(e));
    const count = episodes.reduce((n, ep) => n + ep.steps, 0);
    const episodeOf = new Int32Array(count);
    const frameOf = new Int32Array(count);
    const tokens = new Int32Array(count * 7);
    const waypoints = new Float32Array(count * 3);
    const hasWaypoint = new Uint8Array(count);
    const points = new Int32Array(count * 2).fill(-1);
    const hasPoints = new Uint8Array(count);
    const states = new Float32Array(count * STATE_VALUES);
    const hasState = new Uint8Array(count);
    const weight = new Float64Array(count);
    let k = 0;
    episodes.forEach((ep, e) => {
      const ahead = entries[e]!.e.dagger ? null : waypointTargets(ep.actions);
      weight.set(frameWeights(ep.actions, focus), k);
      ep.actions.forEach((a, i) => {
        episodeOf[k] = e;
        frameOf[k] = i;
        if (ahead) {
          waypoints.set(ahead[i]!, 3 * k);
          hasWaypoint[k] = 1;
        }
        const pt = ep.points?.[i];
        if (pt) {
          points[2 * k] = this.patchAt(pt[0]!, pt[1]!, ep.width);
          points[2 * k + 1] = this.patchAt(pt[2]!, pt[3]!, ep.width);
          hasPoints[k] = 1;
        }
        const st = ep.states?.[i];
        if (st) {
          states.set(st, STATE_VALUES * k);
          hasState[k] = 1;
        }
        tokens.set(this.actions.encode(normalizeAction(toDatasetAction(a), stats)), 7 * k++);
      });
    });
    // Centred, the state head's outputs start near their targets instead of tens of centimetres away.
    const stateMean = new Float64Array(STATE_VALUES);
    const stateCount = hasState.reduce((n, h) => n + h, 0);
    for (let i = 0; i < count; i++) if (hasState[i]) for (let j = 0; j < STATE_VALUES; j++) stateMean[j] += states[STATE_VALUES * i + j]! / stateCount;
    // Only what drawing needs outlives this function (not the per-step action arrays).
    const sources = episodes.map(({ width, height, frame, wristFrame, wristSize, instruction }) => ({ width, height, frame, wristFrame, wristSize, prompt: this.tokenizer.promptIds(instruction) }));
    const wristSize = this.cfg.wristImageSize ?? 0;
    if (wristSize) {
      const without = entries.find((_, e) => sources[e]!.wristSize !== wristSize);
      if (without) throw new Error(`${without.store.dir}/${without.e.file}: no ${wristSize}-pixel wrist frames (collect with --wrist ${wristSize})`);
    }
    const draw = (k: number): Frame => {
      const { width, height, frame, wristFrame, prompt } = sources[episodeOf[k]!]!;
      const waypoint = hasWaypoint[k] ? Array.from(waypoints.subarray(3 * k, 3 * k + 3)) : null;
      const pts = hasPoints[k] ? ([points[2 * k]!, points[2 * k + 1]!] as const) : null;
      const state = hasState[k] ? Array.from(states.subarray(STATE_VALUES * k, STATE_VALUES * (k + 1)), (v, j) => v - stateMean[j]!) : null;
      const wrist = wristSize ? { width: wristSize, height: wristSize, data: wristFrame(frameOf[k]!) } : undefined;
      return { image: { width, height, data: frame(frameOf[k]!) }, wrist, prompt, actionTokens: Array.from(tokens.subarray(7 * k, 7 * k + 7)), waypoint, points: pts, state };
    };
    return { count, pick: frameSampler(weight), draw };
  }

  /** The row-major index of the ViT patch holding pixel (x, y) of a frame `width` pixels wide (square), -1 outside. */
  private patchAt(x: number, y: number, width: number): number {
    const grid = this.cfg.imageSize / this.cfg.patchSize;
    const col = Math.floor((x / width) * grid);
    const row = Math.floor((y / width) * grid);
    return x < 0 || y < 0 || col >= grid || row >= grid ? -1 : row * grid + col;
  }

  /** Trains on the frames of all `stores` (e.g. demonstrations plus DAgger rounds), drawn uniformly unless `approachWeight` or `gripWeight` say otherwise. */
  train(stores: readonly EpisodeStore[], stats: NormStats, out: string, opts: VlaTrainingOptions): void {
    const examples = this.examples(stores, stats, { approach: opts.approachWeight, grip: opts.gripWeight });
    const instructions = this.cfg.instructionHead ? [...new Set(stores.flatMap((store) => store.index.episodes.map((e) => e.instruction)))] : [];
    const telling = tellingWords(instructions.map((i) => this.tokenizer.promptIds(i)));
    if (examples.count === 0) throw new Error('no training frames in the dataset');
    const opt = new AdamW(this.params.trainable(), { lr: opts.lr, beta1: 0.9, beta2: 0.95, weightDecay: 0.01 });
    const ckptDir = join(out, 'checkpoint');
    const resuming = existsSync(join(ckptDir, 'state.json'));
    if (!resuming && opts.initFrom) {
      const continued = this.initFromModel(opts.initFrom);
      opts.onInitFrom?.(continued);
    }
    let step = resuming ? this.restore(ckptDir, opt) : 0;
    const stopAt = Math.min(opts.steps, opts.until ?? opts.steps, opts.stopAfter !== undefined ? step + opts.stopAfter : opts.steps);
    const every = opts.progressEvery ?? 10;
    let lossSum = 0;
    let headLossSum = 0;
    let waypointLossSum = 0;
    let pointLossSum = 0;
    let stateLossSum = 0;
    let aimLossSum = 0;
    let attendLossSum = 0;
    let instructionLossSum = 0;
    let reconLossSum = 0;
    let correct = 0;
    const dimCorrect = new Array<number>(7).fill(0);
    let counted = 0;
    let t0 = performance.now();
    for (; step < stopAt; step++) {
      // Each step's samples come from a generator seeded by the step: a resumed run draws the same ones.
      const rand = seededRandom(opts.seed * 1_000_003 + step);
      opt.lr = warmupCosine(step, opts.lr, Math.min(500, Math.floor(opts.steps / 20) + 1), opts.steps);
      const batch = Array.from({ length: opts.batch }, () => {
        const f = examples.draw(examples.pick(rand()));
        return { ...f, image: augmentImage(f.image, rand), wrist: f.wrist && augmentImage(f.wrist, rand) };
      });
      const tape = new Tape();
      const features = this.vitFeatures(tape, batch);
      const projected = this.project(tape, features, batch.length);
      const attention: AttentionTap | undefined = this.cfg.attendHead || this.cfg.instructionHead ? { layer: Math.floor(this.cfg.layers / 2) } : undefined;
      const hidden = this.decodeBatch(tape, batch, projected, attention);
      // The decoder's state before each sample's first action token: what the waypoint, point, state and aim heads read.
      const first = this.cfg.waypointHead || this.cfg.pointHead || this.cfg.stateHead || this.cfg.aimHead ? tape.embedding(hidden, batch.map((_, b) => 7 * b)) : null;
      const logits = tape.linear(hidden, this.params.get('language_model.lm_head.weight'));
      const targets = Int32Array.from(batch.flatMap((f) => f.actionTokens));
      const loss = tape.crossEntropy(logits, targets);
      const headLoss = this.cfg.imageHead ? this.imageHeadLoss(tape, projected, batch) : null;
      const waypointLoss = this.cfg.waypointHead ? this.waypointHeadLoss(tape, first!, batch) : null;
      const pointLoss = this.cfg.pointHead ? this.pointHeadLoss(tape, features, first!, batch) : null;
      const stateLoss = this.cfg.stateHead ? this.stateHeadLoss(tape, projected, first!, batch) : null;
      const aimLoss = this.cfg.aimHead ? this.aimHeadLoss(tape, projected, first!, batch) : null;
      const reconLoss = this.cfg.reconHead ? this.reconHeadLoss(tape, projected, batch) : null;
      const attendLoss = this.cfg.attendHead && attention?.found ? this.attendHeadLoss(tape, attention.found, batch) : null;
      const instructionLoss = this.cfg.instructionHead && attention?.found ? this.instructionHeadLoss(tape, attention.found, batch, telling) : null;
      const terms: [Var, number][] = [[loss, 1]];
      if (headLoss) terms.push([headLoss, this.cfg.imageHead!]);
      if (waypointLoss) terms.push([waypointLoss, this.cfg.waypointHead!]);
      if (pointLoss) terms.push([pointLoss, this.cfg.pointHead!]);
      if (stateLoss) terms.push([stateLoss, this.cfg.stateHead!]);
      if (aimLoss) terms.push([aimLoss, this.cfg.aimHead!]);
      if (reconLoss) terms.push([reconLoss, this.cfg.reconHead!]);
      if (attendLoss) terms.push([attendLoss, this.cfg.attendHead!]);
      if (instructionLoss) terms.push([instructionLoss, this.cfg.instructionHead!]);
      tape.backward(terms.length === 1 ? loss : tape.weightedSum(terms));
      waypointLossSum += (waypointLoss?.value.data[0] ?? 0) * opts.batch;
      pointLossSum += (pointLoss?.value.data[0] ?? 0) * opts.batch;
      stateLossSum += (stateLoss?.value.data[0] ?? 0) * opts.batch;
      aimLossSum += (aimLoss?.value.data[0] ?? 0) * opts.batch;
      reconLossSum += (reconLoss?.value.data[0] ?? 0) * opts.batch;
      attendLossSum += (attendLoss?.value.data[0] ?? 0) * opts.batch;
      instructionLossSum += (instructionLoss?.value.data[0] ?? 0) * opts.batch;
      lossSum += loss.value.data[0]! * opts.batch;
      headLossSum += (headLoss?.value.data[0] ?? 0) * opts.batch;
      const predicted = argmax(logits.value);
      targets.forEach((t, i) => {
        if (predicted[i] !== t) return;
        correct++;
        dimCorrect[i % 7]!++;
      });
      counted += opts.batch;
      clipGradNorm(opt.params, 1.0);
      opt.update();
      if ((step + 1) % every === 0 || step + 1 === opts.steps) {
        const dt = (performance.now() - t0) / 1000;
        const sps = (counted / dt) || 0;
        opts.onProgress?.({ step: step + 1, steps: opts.steps, loss: lossSum / counted, imageHeadLoss: headLoss ? headLossSum / counted : null, waypointHeadLoss: waypointLoss ? waypointLossSum / counted : null, pointHeadLoss: pointLoss ? pointLossSum / counted : null, stateHeadLoss: stateLoss ? stateLossSum / counted : null, aimHeadLoss: aimLoss ? aimLossSum / counted : null, reconHeadLoss: reconLoss ? reconLossSum / counted : null, attendHeadLoss: attendLoss ? attendLossSum / counted : null, instructionHeadLoss: instructionLoss ? instructionLossSum / counted : null, samplesPerSec: sps, etaSec: ((opts.steps - step - 1) * opts.batch) / Math.max(sps, 1e-9), tokenAccuracy: correct / (7 * counted), dimAccuracy: dimCorrect.map((c) => c / counted) });
        lossSum = 0;
        headLossSum = 0;
        waypointLossSum = 0;
        pointLossSum = 0;
        stateLossSum = 0;
        aimLossSum = 0;
        attendLossSum = 0;
        instructionLossSum = 0;
        reconLossSum = 0;
        correct = 0;
        dimCorrect.fill(0);
        counted = 0;
        t0 = performance.now();
      }
      if ((step + 1) % opts.checkpointEvery === 0 || step + 1 === stopAt) this.checkpoint(ckptDir, opt, step + 1);
    }
    if (step === opts.steps) this.export(out, stats, opts.unnormKey, opts.exportDtype);
  }

  /** Writes weights, optimizer moments and the step to a temporary folder, then renames it into place. */
  private checkpoint(dir: string, opt: AdamW, step: number): void {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const names = [...this.params.vars.keys()];
    writeFileSync(join(tmp, 'model.safetensors'), encodeSafetensors(new Map(names.map((n) => [n, this.params.get(n).value]))));
    const st = opt.state();
    const moments = new Map<string, Tensor>();
    names.forEach((n, i) => {
      moments.set(`m.${n}`, new Tensor(st.m[i]!, [st.m[i]!.length]));
      moments.set(`v.${n}`, new Tensor(st.v[i]!, [st.v[i]!.length]));
    });
    writeFileSync(join(tmp, 'optimizer.safetensors'), encodeSafetensors(moments));
    writeFileSync(join(tmp, 'state.json'), JSON.stringify({ step, adamStep: st.step, config: this.cfg }, null, 2));
    rmSync(`${dir}.old`, { recursive: true, force: true });
    if (existsSync(dir)) renameSync(dir, `${dir}.old`);
    renameSync(tmp, dir);
    rmSync(`${dir}.old`, { recursive: true, force: true });
  }

  private restore(dir: string, opt: AdamW): number {
    const state = this.loadCheckpointWeights(dir);
    const moments = SafetensorsFile.open(join(dir, 'optimizer.safetensors'));
    const names = [...this.params.vars.keys()];
    opt.load({ step: state.adamStep, m: names.map((n) => moments.tensor(`m.${n}`).data), v: names.map((n) => moments.tensor(`v.${n}`).data) });
    return state.step;
  }

  /** Sets the weights from a training checkpoint folder; returns its state (step, Adam step). */
  loadCheckpointWeights(dir: string): { step: number; adamStep: number } {
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { step: number; adamStep: number; config: SmallVlaConfig };
    if (JSON.stringify(state.config) !== JSON.stringify(this.cfg)) throw new Error(`${dir}: checkpoint was made with another model configuration`);
    const weights = SafetensorsFile.open(join(dir, 'model.safetensors'));
    for (const n of this.params.vars.keys()) this.params.get(n).value.data.set(weights.tensor(n, this.params.get(n).shape).data);
    return state;
  }

  /**
   * Starts from an exported model (a folder `export` wrote: config.json, model.safetensors,
   * tokenizer.json) instead of random weights: fine-tuning, or continuing a shipped model on new
   * data. The training-only heads are never exported: when `dir` is a training run's folder (train-vla
   * exports into it), they continue from its checkpoint where the shapes match; otherwise they start
   * fresh, and their first hundreds of steps (loss ~5) pull on a trained trunk.
   * Returns the names of the heads' tensors taken from the checkpoint.
   */
  initFromModel(dir: string): string[] {
    const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as unknown;
    if (JSON.stringify(tokenizer) !== JSON.stringify(this.tokenizerFiles.tokenizer)) {
      throw new Error(`${dir}: its tokenizer.json differs from the vocabulary of this dataset's instructions; fine-tune on data with the same instructions`);
    }
    const weights = SafetensorsFile.open(join(dir, 'model.safetensors'));
    for (const [n, v] of this.params.vars) {
      // A model without a wrist view gains one: its position table starts fresh, everything else continues.
      if (n.startsWith(TRAINING_ONLY) || (n === WRIST_POS && !weights.entries.has(n))) continue;
      v.value.data.set(weights.tensor(n, v.shape).data);
    }
    const ckptPath = join(dir, 'checkpoint', 'model.safetensors');
    if (!existsSync(ckptPath)) return [];
    const ckpt = SafetensorsFile.open(ckptPath);
    const continued: string[] = [];
    for (const [n, v] of this.params.vars) {
      const shape = ckpt.entries.get(n)?.shape;
      if (!n.startsWith(TRAINING_ONLY) || !shape || shape.join() !== v.shape.join()) continue;
      v.value.data.set(ckpt.tensor(n, v.shape).data);
      continued.push(n);
    }
    return continued;
  }

  /** Writes the trained model in OpenVLA's layout: config.json, model.safetensors (bf16), tokenizer files. */
  export(out: string, stats: NormStats, unnormKey: string, dtype: 'F32' | 'BF16' = 'BF16'): void {
    mkdirSync(out, { recursive: true });
    const c = this.cfg;
    const config = {
      architectures: ['OpenVLAForActionPrediction'],
      model_type: 'openvla',
      use_fused_vision_backbone: false,
      image_sizes: [c.imageSize],
      vision_config: [{ image_size: c.imageSize, patch_size: c.patchSize, width: c.vitWidth, depth: c.vitDepth, num_heads: c.vitHeads, mlp_hidden: 4 * c.vitWidth, registers: 0, class_token: false, layer_scale: false, gelu: 'erf', normalization: 'half', eps: 1e-6, merge: c.merge ?? 1, ...(c.wristImageSize ? { wrist_image_size: c.wristImageSize } : {}) }],
      text_config: { model_type: 'llama', hidden_size: c.hidden, intermediate_size: c.intermediate, num_hidden_layers: c.layers, num_attention_heads: c.heads, num_key_value_heads: c.kvHeads, rms_norm_eps: 1e-6, rope_theta: 10000, vocab_size: c.vocabSize + PAD },
      pad_to_multiple_of: PAD,
      n_action_bins: 256,
      norm_stats: { [unnormKey]: { action: stats } },
    };
    writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2));
    writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(this.tokenizerFiles.tokenizer));
    writeFileSync(join(out, 'tokenizer_config.json'), JSON.stringify(this.tokenizerFiles.config, null, 2));
    const weights = new Map([...this.params.vars].filter(([n]) => !n.startsWith(TRAINING_ONLY)).map(([n, v]) => [n, v.value]));
    writeFileSync(join(out, 'model.safetensors'), encodeSafetensors(weights, dtype));
  }
}

/**
 * How many leading frames of a demonstration are its approach: those before the first label that
 * moves neither x nor y (the hand over its target, or the gripper acting). All of them when no such
 * label comes.
 */
export function approachFrames(actions: readonly ArrayLike<number>[]): number {
  const still = actions.findIndex((a) => a[0] === 0 && a[1] === 0);
  return still < 0 ? actions.length : still;
}

/**
 * The reconstruction head's targets for one frame: per decoder token of its k x k patch blocks (row-major),
 * the mean colors of the block's cells of half a patch (row-major, RGB), 64 levels a unit, centred on 128.
 */
export function tokenColorGrid(img: RgbImage, patchSize: number, k: number): number[] {
  const side = patchSize * k;
  const cell = patchSize / 2;
  const perSide = img.width / side;
  const values: number[] = [];
  for (let t = 0; t < perSide * perSide; t++) {
    const [top, left] = [Math.floor(t / perSide) * side, (t % perSide) * side];
    for (let cy = 0; cy < 2 * k; cy++) {
      for (let cx = 0; cx < 2 * k; cx++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) sum += img.data[((top + cy * cell + y) * img.width + left + cx * cell + x) * 3 + c]!;
          values.push((sum / (cell * cell) - 128) / 64);
        }
      }
    }
  }
  return values;
}

/**
 * Per value of tokenColorGrid's targets for `frames` frames: `gain` for the cells whose color is more than
 * 0.4 (about 26 levels) from the frame's per-channel median cell on some channel, 1 for the rest.
 */
export function reconCellGain(values: readonly number[], frames: number, gain: number): number[] {
  const perFrame = values.length / frames;
  const out = new Array<number>(values.length).fill(1);
  if (gain === 1) return out;
  for (let f = 0; f < frames; f++) {
    const base = f * perFrame;
    const median = [0, 1, 2].map((c) => {
      const vs: number[] = [];
      for (let i = base + c; i < base + perFrame; i += 3) vs.push(values[i]!);
      vs.sort((a, b) => a - b);
      return vs[vs.length >> 1]!;
    });
    for (let i = base; i < base + perFrame; i += 3) {
      const unlike = [0, 1, 2].some((c) => Math.abs(values[i + c]! - median[c]!) > 0.4);
      if (unlike) out[i] = out[i + 1] = out[i + 2] = gain;
    }
  }
  return out;
}

/** The word ids found in at most half of the given prompts: those that tell instructions apart. */
export function tellingWords(prompts: readonly (readonly number[])[]): Set<number> {
  const count = new Map<number, number>();
  for (const p of prompts) for (const w of new Set(p)) count.set(w, (count.get(w) ?? 0) + 1);
  return new Set([...count].filter(([, n]) => n <= prompts.length / 2).map(([w]) => w));
}

/** The decoder token (in mergeOrder's order) whose k x k block of a grid x grid patch grid holds patch `patch` (row-major); -1 stays -1. */
export function mergedToken(patch: number, grid: number, k: number): number {
  return patch < 0 ? -1 : Math.floor(Math.floor(patch / grid) / k) * (grid / k) + Math.floor((patch % grid) / k);
}

/**
 * Each frame's drawing weight: `approach` for the approach frames, `grip` for a frame whose gripper
 * label differs from the previous frame's and for the frames just before and after it (after: the
 * overshoot of `collect --late`), the larger where both hold, 1 elsewhere.
 */
export function frameWeights(actions: readonly ArrayLike<number>[], focus: { approach?: number; grip?: number }): Float64Array {
  const weight = new Float64Array(actions.length).fill(1);
  weight.fill(focus.approach ?? 1, 0, approachFrames(actions));
  const grip = focus.grip ?? 1;
  for (let i = 1; i < actions.length; i++) {
    if (sameGripperCommand(actions[i]!, actions[i - 1]!)) continue;
    for (const j of [i - 1, i, i + 1]) if (j < actions.length) weight[j] = Math.max(weight[j]!, grip);
  }
  return weight;
}

/**
 * Maps a uniform u in [0, 1) to a frame index drawn with probability proportional to `weight`
 * (binary search over the running sums). Uniform weights give floor(u · count), the draws of an
 * unweighted run.
 */
export function frameSampler(weight: Float64Array): (u: number) => number {
  const n = weight.length;
  const cumulative = new Float64Array(n);
  let total = 0;
  weight.forEach((w, i) => (cumulative[i] = total += w));
  if (!(total > 0)) throw new Error('every frame has drawing weight 0: nothing to train on');
  if (weight.every((w) => w === weight[0])) return (u) => Math.floor(u * n);
  return (u) => {
    const target = u * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/**
 * The waypoint head's targets for one demonstration: at each frame, the sum of the hand motions
 * (x, y, z) of this and the following frames up to the last one before the gripper command changes,
 * halved (the expert moves 0.2 a step: one unit is about ten stored frames of motion).
 */
export function waypointTargets(actions: readonly ArrayLike<number>[]): number[][] {
  const out: number[][] = new Array(actions.length);
  for (let i = actions.length - 1; i >= 0; i--) {
    const a = actions[i]!;
    const next = actions[i + 1];
    const own = [0.5 * a[0]!, 0.5 * a[1]!, 0.5 * a[2]!];
    out[i] = next && sameGripperCommand(next, a) ? own.map((x, j) => x + out[i + 1]![j]!) : own;
  }
  return out;
}
