import type { DraftTree } from './draft-tree.js';

/**
 * Counts, per action dimension, how often the accepted token was the draft's best, second-best, ...
 * candidate under the accepted parent: the acceptance estimates that tree sizing needs. Kept per
 * dimension rather than per tree depth because an action's dimensions differ by orders of magnitude
 * (a rotation that never moves is always accepted, a translation often is not), and a cycle's depth
 * d decodes a different dimension depending on where the cycle starts. Starts from a modest prior
 * so the first calls get a sensible tree.
 */
export class AcceptanceTracker {
  private static readonly PRIOR = [0.5, 0.15, 0.08, 0.05, 0.03, 0.02, 0.01, 0.01];
  private static readonly PRIOR_WEIGHT = 4;
  private static readonly MIN_EVIDENCE = 16;
  private readonly attempts: number[];
  private readonly hits: number[][];

  constructor(readonly dims: number) {
    this.attempts = new Array<number>(dims).fill(0);
    this.hits = Array.from({ length: dims }, () => []);
  }

  /** Records a verified tree whose root's children decode dimension `firstDim`, and its accepted path (node indices, root first). */
  record(tree: DraftTree, path: readonly number[], firstDim: number): void {
    for (let j = 1; firstDim + j - 1 < this.dims; j++) {
      const parent = path[j - 1];
      if (parent === undefined) return;
      const children = tree.nodes
        .map((n, i) => ({ n, i }))
        .filter(({ n }) => n.parent === parent && Number.isFinite(n.score))
        .sort((a, b) => b.n.score - a.n.score || a.i - b.i);
      if (children.length === 0) return;
      const dim = firstDim + j - 1;
      this.attempts[dim]!++;
      const rank = children.findIndex(({ i }) => i === path[j]);
      if (rank >= 0) this.hits[dim]![rank] = (this.hits[dim]![rank] ?? 0) + 1;
    }
  }

  /**
   * Whether dimension `dim` has been drafted too few times to judge the draft on it. Tree sizing on
   * the prior alone can stop a tree above it (or choose no draft at all), and a dimension never
   * drafted records nothing: the decoder extends its trees through such a dimension until this
   * evidence exists (exploreUnknownDepth), so a good draft is found out.
   */
  needsEvidence(dim: number): boolean {
    return (this.attempts[dim] ?? 0) < AcceptanceTracker.MIN_EVIDENCE;
  }

  /**
   * estimates[d - 1][r]: probability that the rank-r candidate at depth d of a tree whose first depth
   * decodes dimension `firstDim` is accepted, given depth d-1 was (dimensions past the tracked ones get the prior).
   */
  estimates(firstDim: number, depths: number): number[][] {
    const { PRIOR, PRIOR_WEIGHT } = AcceptanceTracker;
    return Array.from({ length: depths }, (_, d) => {
      const dim = firstDim + d;
      const attempts = this.attempts[dim] ?? 0;
      return PRIOR.map((p, r) => ((this.hits[dim]?.[r] ?? 0) + PRIOR_WEIGHT * p) / (attempts + PRIOR_WEIGHT));
    });
  }
}
