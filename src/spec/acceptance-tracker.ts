import type { DraftTree } from './draft-tree.js';

/**
 * Counts, per draft depth, how often the accepted token was the draft's best, second-best, ...
 * candidate under the accepted parent: the acceptance estimates that tree sizing needs. Starts
 * from a modest prior so the first calls get a sensible tree.
 */
export class AcceptanceTracker {
  private static readonly PRIOR = [0.5, 0.15, 0.08, 0.05, 0.03, 0.02, 0.01, 0.01];
  private static readonly PRIOR_WEIGHT = 4;
  private readonly attempts: number[];
  private readonly hits: number[][];

  constructor(readonly maxDepth: number) {
    this.attempts = new Array<number>(maxDepth).fill(0);
    this.hits = Array.from({ length: maxDepth }, () => []);
  }

  /** Records a verified tree and its accepted path (node indices, root first). */
  record(tree: DraftTree, path: readonly number[]): void {
    for (let j = 1; j <= this.maxDepth; j++) {
      const parent = path[j - 1];
      if (parent === undefined) return;
      const children = tree.nodes
        .map((n, i) => ({ n, i }))
        .filter(({ n }) => n.parent === parent && Number.isFinite(n.score))
        .sort((a, b) => b.n.score - a.n.score || a.i - b.i);
      if (children.length === 0) return;
      this.attempts[j - 1]!++;
      const rank = children.findIndex(({ i }) => i === path[j]);
      if (rank >= 0) this.hits[j - 1]![rank] = (this.hits[j - 1]![rank] ?? 0) + 1;
    }
  }

  /** estimates[d - 1][r]: probability that the rank-r candidate at depth d is accepted, given depth d-1 was. */
  estimates(depths = this.maxDepth): number[][] {
    const { PRIOR, PRIOR_WEIGHT } = AcceptanceTracker;
    return Array.from({ length: Math.min(depths, this.maxDepth) }, (_, d) =>
      PRIOR.map((p, r) => ((this.hits[d]![r] ?? 0) + PRIOR_WEIGHT * p) / (this.attempts[d]! + PRIOR_WEIGHT)),
    );
  }
}
