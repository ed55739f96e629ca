import type { AcceptancePolicy } from './acceptance.js';

/** OpenVLA's action tokens are the last 256 ids below the unpadded vocabulary size V. */
const ACTION_BINS = 256;

/**
 * Spec-VLA's relaxed acceptance. An action token is a bin of a continuous value, so a drafted action
 * token whose bin lies within `r` bins of the target's greedy bin is close enough and is kept.
 * The bin of token t is V - 1 - t, so the bin distance is |draft - greedy|. Only action tokens are
 * ever relaxed: text tokens and padding ids (>= V) must match exactly. `r` may differ per action
 * dimension (e.g. 0 for the gripper, whose two bins mean open and close).
 */
export class RelaxedAcceptance implements AcceptancePolicy {
  readonly name: string;
  private readonly radii: number[];

  /**
   * @param vocabSize V: the tokenizer's vocabulary without padding (OpenVLA: 32000)
   * @param r one radius for every dimension, or one per action dimension (7)
   */
  constructor(
    readonly vocabSize: number,
    r: number | readonly number[],
  ) {
    this.radii = typeof r === 'number' ? Array<number>(7).fill(r) : [...r];
    if (this.radii.length !== 7 || this.radii.some((x) => !Number.isInteger(x) || x < 0)) {
      throw new Error(`relaxed acceptance: r must be a non-negative integer or 7 of them, got ${JSON.stringify(r)}`);
    }
    this.name = `relaxed:${this.radii.every((x) => x === this.radii[0]) ? this.radii[0] : this.radii.join(',')}`;
  }

  isActionToken(token: number): boolean {
    return token >= this.vocabSize - ACTION_BINS && token < this.vocabSize;
  }

  accepts(draft: number, greedy: number, dim: number): boolean {
    if (draft === greedy) return true;
    if (!this.isActionToken(draft) || !this.isActionToken(greedy)) return false;
    return Math.abs(draft - greedy) <= (this.radii[dim] ?? 0);
  }

  /** The radius for an action dimension. */
  radius(dim: number): number {
    return this.radii[dim] ?? 0;
  }
}
