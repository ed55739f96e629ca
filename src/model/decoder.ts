import type { Tensor } from '../ops/index.js';

/** What one call of a decoder did. */
export interface DecodeStats {
  /** Tokens produced. */
  tokens: number;
  /** Target forwards, the prefill included. */
  targetForwards: number;
  /** Draft forwards (one per tree level, plus the prefill and the update after each cycle). */
  draftForwards: number;
  /** Accept length L: tokens per target forward (plain decoding: 1.0). */
  acceptLength: number;
  /** Per token index: whether the token was an accepted draft token (index 0 comes from the prefill: the target's own, or an accepted prior token). */
  accepted: boolean[];
  /** Milliseconds: target prefill, drafting, verification (target forwards after the prefill), total. */
  prefillMs: number;
  draftMs: number;
  verifyMs: number;
  totalMs: number;
}

/**
 * Produces the action tokens that follow a prefix of embeddings (BOS, image patches, prompt tokens)
 * through the target's language model. `ArDecoder` and `SpecDecoder` implement it.
 */
export interface ActionDecoder {
  readonly name: string;
  decode(prefix: Tensor, count: number): { tokens: number[]; stats: DecodeStats };
}

export function emptyStats(): DecodeStats {
  return { tokens: 0, targetForwards: 0, draftForwards: 0, acceptLength: 0, accepted: [], prefillMs: 0, draftMs: 0, verifyMs: 0, totalMs: 0 };
}

export function positionsFrom(start: number, n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => start + i);
}
