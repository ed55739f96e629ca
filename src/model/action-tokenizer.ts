/**
 * OpenVLA's action tokenizer. Each action dimension in [-1, 1] is cut into 256 uniform bins
 * (`bins = linspace(-1, 1, 256)`, 255 bin centers between them) and written as one of the last 256
 * ids of the vocabulary: `token = V - digitize(a, bins)`, V = the vocabulary size without padding.
 */
export const N_BINS = 256;

export interface NormStats {
  q01: number[];
  q99: number[];
  /** true where the dimension was normalized (all but the gripper). */
  mask?: boolean[];
}

export class ActionTokenizer {
  /** The 256 bin edges. */
  readonly bins: Float64Array;
  /** The 255 bin centers an action token decodes to. */
  readonly centers: Float64Array;

  constructor(readonly vocabSize: number) {
    if (!Number.isInteger(vocabSize) || vocabSize <= N_BINS) throw new Error(`ActionTokenizer: vocabulary of ${vocabSize} cannot hold ${N_BINS} action tokens`);
    // numpy.linspace(-1, 1, 256) bit for bit: i·step + start, the last edge set to stop. (-1 + 2i/255
    // differs in the last bit for 20 edges, which moves values lying exactly on them to another bin.)
    const step = 2 / (N_BINS - 1);
    this.bins = Float64Array.from({ length: N_BINS }, (_, i) => (i === N_BINS - 1 ? 1 : i * step + -1));
    this.centers = Float64Array.from({ length: N_BINS - 1 }, (_, i) => (this.bins[i]! + this.bins[i + 1]!) / 2);
  }

  /** The lowest action token id (V - 256). */
  get firstToken(): number {
    return this.vocabSize - N_BINS;
  }

  isActionToken(token: number): boolean {
    return token >= this.firstToken && token < this.vocabSize;
  }

  /** numpy.digitize(a, bins) with right=False: the i with bins[i-1] <= a < bins[i] (0..256). */
  private digitize(a: number): number {
    let lo = 0;
    let hi = N_BINS;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bins[mid]! <= a) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Normalized actions -> token ids (values are clipped to [-1, 1] first). */
  encode(actions: ArrayLike<number>): number[] {
    return Array.from(actions, (a) => {
      if (Number.isNaN(a)) throw new Error('ActionTokenizer.encode: NaN action value');
      return this.vocabSize - this.digitize(Math.min(1, Math.max(-1, a)));
    });
  }

  /** Token ids -> normalized actions (bin centers). */
  decode(tokens: ArrayLike<number>): number[] {
    return Array.from(tokens, (t) => this.centers[Math.min(N_BINS - 2, Math.max(0, this.vocabSize - t - 1))]!);
  }

  /** The bin index of a token (V - 1 - token): the distance between two tokens' bins is |t1 - t2|. */
  bin(token: number): number {
    return this.vocabSize - 1 - token;
  }
}

/**
 * OpenVLA's un-normalization with a dataset's statistics: x = 0.5 (a + 1)(q99 - q01) + q01 where the
 * mask is set, a unchanged elsewhere (the gripper).
 */
export function unnormalizeAction(normalized: readonly number[], stats: NormStats): number[] {
  return normalized.map((a, i) => (stats.mask?.[i] ?? true ? 0.5 * (a + 1) * (stats.q99[i]! - stats.q01[i]!) + stats.q01[i]! : a));
}

/** The inverse, for building training targets: a = 2 (x - q01) / (q99 - q01) - 1, clipped to [-1, 1]. */
export function normalizeAction(action: readonly number[], stats: NormStats): number[] {
  return action.map((x, i) => {
    if (!(stats.mask?.[i] ?? true)) return x;
    const range = stats.q99[i]! - stats.q01[i]!;
    return range > 0 ? Math.min(1, Math.max(-1, (2 * (x - stats.q01[i]!)) / range - 1)) : 0;
  });
}

/**
 * Gripper conventions: datasets (and so the model) use [0, 1] with 0 = close, 1 = open; LIBERO-style
 * environments want -1 = open, +1 = close. env = -sign(2a - 1); dataset = (1 - env) / 2.
 */
export function gripperToEnv(a: number): number {
  return -Math.sign(2 * a - 1);
}

export function gripperFromEnv(g: number): number {
  return (1 - g) / 2;
}
