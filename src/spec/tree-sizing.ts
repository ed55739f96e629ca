import type { TreeShape } from './draft-tree.js';

/**
 * Picks the draft tree that maximizes expected tokens per second on this machine, instead of the
 * GPU defaults (50 nodes, depth 4, top-k 8) that make verification expensive on a CPU.
 *
 * Model of one decoding cycle with a tree of depth D and top-k K (1 + K·D nodes when every round's
 * best K are kept): the target verifies the whole tree in one forward that costs `targetCost(nodes)`
 * (relative to a one-token forward), the draft runs D rounds of `draftCost(K)` each, and the cycle
 * emits the accepted draft tokens plus one bonus token. With s_d(K) the probability that one of the
 * K candidates at depth d is accepted given that depth d-1 was, the expected accepted length is
 * Σ_d Π_{i<=d} s_i(K), under the approximation that the accepted path stays in the expanded frontier.
 */
export interface SizingInputs {
  /** Target forward time for T new tokens over the time for one token, measured (T -> ratio). */
  targetCost: ReadonlyMap<number, number>;
  /** Draft forward time for K tokens over the target's one-token forward time, measured (K -> ratio). */
  draftCost: ReadonlyMap<number, number>;
  /** acceptance[d - 1][j]: probability that the draft's j-th best candidate at depth d is accepted, given depth d-1 was. */
  acceptance: readonly (readonly number[])[];
  /** Largest depth worth drafting (tokens left to decode). */
  maxDepth: number;
  /** Candidate top-k values. */
  topKs?: readonly number[];
}

export interface SizedTree extends TreeShape {
  /** Expected tokens per cycle (accepted + bonus). */
  expectedTokens: number;
  /** Expected cycle cost relative to one target forward of one token. */
  cycleCost: number;
  /** expectedTokens / cycleCost: tokens per one-token-forward time; plain decoding scores 1. */
  tokensPerCost: number;
}

/** Linear interpolation of a measured cost curve, extrapolated linearly from its last two points. */
export function interpolateCost(curve: ReadonlyMap<number, number>, x: number): number {
  const pts = [...curve.entries()].sort((a, b) => a[0] - b[0]);
  if (pts.length === 0) throw new Error('interpolateCost: empty cost curve');
  if (pts.length === 1 || x <= pts[0]![0]) return pts[0]![1];
  for (let i = 1; i < pts.length; i++) {
    const [x1, y1] = pts[i]!;
    const [x0, y0] = pts[i - 1]!;
    if (x <= x1 || i === pts.length - 1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return pts[pts.length - 1]![1];
}

/** Expected accepted draft tokens for depth D and top-k K (see the module comment). */
export function expectedAccepted(acceptance: SizingInputs['acceptance'], depth: number, topK: number): number {
  let reach = 1;
  let total = 0;
  for (let d = 0; d < depth; d++) {
    const s = Math.min(1, (acceptance[d] ?? []).slice(0, topK).reduce((a, b) => a + b, 0));
    reach *= s;
    total += reach;
  }
  return total;
}

export function chooseTreeShape(inputs: SizingInputs): SizedTree {
  const arCost = interpolateCost(inputs.targetCost, 1);
  let best: SizedTree = { depth: 0, topK: 1, totalTokens: 1, expectedTokens: 1, cycleCost: arCost, tokensPerCost: 1 / arCost };
  for (const topK of inputs.topKs ?? [1, 2, 3, 4, 6, 8]) {
    for (let depth = 1; depth <= inputs.maxDepth; depth++) {
      const totalTokens = 1 + topK * depth;
      const expectedTokens = expectedAccepted(inputs.acceptance, depth, topK) + 1;
      const cycleCost = interpolateCost(inputs.targetCost, totalTokens) + depth * interpolateCost(inputs.draftCost, topK);
      const tokensPerCost = expectedTokens / cycleCost;
      if (tokensPerCost > best.tokensPerCost) best = { depth, topK, totalTokens, expectedTokens, cycleCost, tokensPerCost };
    }
  }
  return best;
}

/**
 * Extends a sized tree down to the first depth whose dimension has too little evidence
 * (`unknown[d]`: depth d + 1 decodes a dimension drafted too rarely to judge). Sizing on the prior
 * alone stops a tree above such a dimension, which then only ever comes as the bonus token and is
 * never drafted, so its estimate never leaves the prior: drafting through it once in a while is
 * how the tracker learns that, say, a rotation that never moves is always accepted.
 */
export function exploreUnknownDepth(shape: TreeShape, unknown: readonly boolean[]): TreeShape {
  const first = unknown.indexOf(true);
  if (first < 0 || first < shape.depth) return shape;
  const topK = shape.depth === 0 ? 1 : shape.topK;
  return { depth: first + 1, topK, totalTokens: 1 + topK * (first + 1) };
}
