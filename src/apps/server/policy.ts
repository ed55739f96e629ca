import { VlaPolicy, type ActionDecoder, type RgbImage } from '../../model/index.js';
import { createDecoder, loadDraftHead, parseDecoderSpec } from '../../spec/index.js';

export interface ActionResult {
  /** The un-normalized action (7 values for OpenVLA). */
  action: number[];
  /** The action tokens the language model produced, when the policy has them. */
  tokens?: number[];
  /** Decoding statistics (snake_case names: target_forwards, accept_length, ..._ms). */
  stats?: Record<string, number>;
}

/**
 * What the server needs of a policy. The server never sees a model class: VLA checkpoints with any
 * decoder (plain or speculative), or anything else that maps an image and an instruction to an
 * action, plug in behind this.
 */
export interface ActionPolicy {
  /** Shown by /health: the model and how it decodes. */
  readonly description: { model: string; decoder: string };
  /** Dataset statistics the policy can un-normalize with (norm_stats keys). */
  readonly unnormKeys: readonly string[];
  /** Why the policy can no longer predict (e.g. its worker died); undefined while it can. */
  readonly failure?: string;
  /** Whether it also reads a wrist-camera frame (then every request carries one). */
  readonly wristView?: boolean;
  predict(image: RgbImage, instruction: string, opts: { unnormKey?: string; wrist?: RgbImage }): Promise<ActionResult>;
}

export interface VlaPolicyOptions {
  /** The decoder to use (default: the policy's own greedy AR decoder). */
  decoder?: ActionDecoder;
  /** Center crop 0.9 of the area before the backbone, for models trained with random crops. */
  centerCrop?: boolean;
}

/** A loaded VLA checkpoint as an ActionPolicy. */
export function vlaActionPolicy(policy: VlaPolicy, opts: VlaPolicyOptions = {}): ActionPolicy {
  const decoder = opts.decoder ?? policy.decoder;
  return {
    description: { model: policy.dir, decoder: decoder.name },
    unnormKeys: Object.keys(policy.config.normStats),
    wristView: policy.wristSize > 0,
    predict(image, instruction, { unnormKey, wrist }) {
      const out = policy.predictAction(image, instruction, { unnormKey, decoder, centerCrop: opts.centerCrop, wrist });
      const s = out.stats;
      const t = out.timings;
      return Promise.resolve({
        action: out.action,
        tokens: out.tokens,
        stats: {
          tokens: s.tokens,
          target_forwards: s.targetForwards,
          draft_forwards: s.draftForwards,
          accept_length: s.acceptLength,
          vision_ms: t.visionMs,
          prefill_ms: t.prefillMs,
          decode_ms: t.decodeMs,
          draft_ms: s.draftMs,
          verify_ms: s.verifyMs,
          total_ms: t.totalMs,
        },
      });
    },
  };
}

export interface LoadPolicyOptions {
  /** VLA checkpoint folder (Hugging Face layout). */
  model: string;
  /** Draft head folder; needed by every decoder but "ar". */
  draft?: string;
  /** A decoder spec: ar | strict | relaxed:R | relaxed:R1,...,R7, optionally @auto or @depth,topK,total, optionally +prior. */
  decoder?: string;
  centerCrop?: boolean;
}

/** Loads a checkpoint (and draft head) and builds the decoder the spec names; errors say what to fix. */
export function loadActionPolicy(opts: LoadPolicyOptions): ActionPolicy {
  const spec = parseDecoderSpec(opts.decoder ?? 'ar');
  if (spec.kind !== 'ar' && !opts.draft) throw new Error(`decoder "${opts.decoder}" is speculative and needs a draft head: give --draft DIR`);
  const policy = VlaPolicy.load(opts.model);
  const draft = opts.draft ? loadDraftHead(opts.draft, policy.llm) : undefined;
  return vlaActionPolicy(policy, { decoder: createDecoder(policy, spec, draft), centerCrop: opts.centerCrop });
}
