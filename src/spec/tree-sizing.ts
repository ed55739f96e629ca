import type { TreeShape } from './draft-tree.js';

/**
 * Picks the draft tree that decodes the tokens left of an action in the least expected time on this
 * machine, instead of the GPU defaults (50 nodes, depth 4, top-k 8) that make verification expensive
 * on a CPU.
 *
 * Model of one decoding cycle with a tree of depth D and top-k K (1 + K·D nodes when every round's
 * best K are kept): the target verifies the whole tree in one forward that costs `targetCost(nodes)`
 * (relative to a one-token forward), the draft runs D rounds of `draftCost(K)` each, and the cycle
 * emits the accepted draft tokens plus one bonus token. With s_d(K) the probability that one of the
 * K candidates at depth d is accepted given that depth d-1 was, the cycle accepts at least d tokens
 * with probability Π_{i<=d} s_i(K), under the approximation that the accepted path stays in the
 * expanded frontier. An action has a fixed number of tokens, so the shape is chosen for the whole
 * rest of it: the expected cost of this cycle plus that of the best cycles after it (a small dynamic
 * program over the tokens left), not this cycle's tokens per cost. A tree whose bonus token ends the
 * action is then one level shallower, and a deeper tree that ends the action in one cycle can beat
 * one that needs a second.
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
  /** Expected tokens of this cycle (accepted + bonus). */
  expectedTokens: number;
  /** This cycle's cost relative to one target forward of one token. */
  cycleCost: number;
  /** Expected cost of all the tokens left (this cycle and the best ones after it), in the same unit. */
  expectedCost: number;
  /** Tokens left / expectedCost: tokens per one-token-forward time; plain decoding scores 1. */
  tokensPerCost: number;
}

/** Linear interpolation of a measured cost curve, extrapolated linearly from its last two points. */
export function interpolateCost(curve: ReadonlyMap<number, number>, x: number): number {
  return costInterpolator(curve)(x);
}

/** interpolateCost with the curve's points sorted once, for the many lookups of one sizing. */
function costInterpolator(curve: ReadonlyMap<number, number>): (x: number) => number {
  const pts = [...curve.entries()].sort((a, b) => a[0] - b[0]);
  if (pts.length === 0) throw new Error('interpolateCost: empty cost curve');
  return (x) => {
    if (pts.length === 1 || x <= pts[0]![0]) return pts[0]![1];
    for (let i = 1; i < pts.length; i++) {
      const [x1, y1] = pts[i]!;
      const [x0, y0] = pts[i - 1]!;
      if (x <= x1 || i === pts.length - 1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
    return pts[pts.length - 1]![1];
  };
}

/** s_d(K): probability that one of the K best candidates at depth d (0-based) is accepted, given depth d-1 was. */
function acceptedWithin(acceptance: SizingInputs['acceptance'], d: number, topK: number): number {
  return Math.min(1, (acceptance[d] ?? []).slice(0, topK).reduce((a, b) => a + b, 0));
}

/** Expected accepted draft tokens for depth D and top-k K (see the module comment). */
export function expectedAccepted(acceptance: SizingInputs['acceptance'], depth: number, topK: number): number {
  let reach = 1;
  let total = 0;
  for (let d = 0; d < depth; d++) {
    reach *= acceptedWithin(acceptance, d, topK);
    total += reach;
  }
  return total;
}

export function chooseTreeShape(inputs: SizingInputs): SizedTree {
  const targetCost = costInterpolator(inputs.targetCost);
  const draftCost = costInterpolator(inputs.draftCost);
  const arCost = targetCost(1);
  const topKs = inputs.topKs ?? [1, 2, 3, 4, 6, 8];
  const acceptsTable = topKs.map((K) => Array.from({ length: inputs.maxDepth + 1 }, (_, d) => acceptedWithin(inputs.acceptance, d, K)));
  // plan(from, n): the best first cycle for n tokens whose first is drafted at depth `from` of inputs.acceptance.
  const memo = new Map<number, SizedTree>();
  const plan = (from: number, n: number): SizedTree => {
    const key = from * 64 + n;
    const known = memo.get(key);
    if (known) return known;
    const after = (k: number) => (n - k - 1 > 0 ? plan(from + k + 1, n - k - 1).expectedCost : 0);
    let best: SizedTree = { depth: 0, topK: 1, totalTokens: 1, expectedTokens: 1, cycleCost: arCost, expectedCost: arCost + after(0), tokensPerCost: 0 };
    topKs.forEach((topK, t) => {
      const acc = acceptsTable[t]!;
      // reach[k]: probability that at least k drafted tokens are accepted (reach[0] = 1 stands for the bonus token).
      const reach = [1];
      for (let depth = 1; depth <= n; depth++) {
        reach.push(reach[depth - 1]! * (acc[from + depth - 1] ?? 0));
        const totalTokens = 1 + topK * depth;
        const cycleCost = targetCost(totalTokens) + depth * draftCost(topK);
        let expectedCost = cycleCost;
        for (let k = 0; k <= depth; k++) expectedCost += (reach[k]! - (k < depth ? reach[k + 1]! : 0)) * after(k);
        if (expectedCost < best.expectedCost) best = { depth, topK, totalTokens, expectedTokens: reach.reduce((a, b) => a + b, 0), cycleCost, expectedCost, tokensPerCost: 0 };
      }
    });
    best.tokensPerCost = n / best.expectedCost;
    memo.set(key, best);
    return best;
  };
  return plan(0, inputs.maxDepth);
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
