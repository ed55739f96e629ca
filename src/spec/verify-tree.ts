import type { AcceptancePolicy } from './acceptance.js';
import type { DraftTree } from './draft-tree.js';

export interface Verdict {
  /** Node indices of the chosen path's accepted prefix, root first. */
  path: number[];
  /** The accepted draft tokens (the path's tokens below the root). */
  accepted: number[];
  /** The target's own greedy token after the last accepted node. */
  bonus: number;
}

/**
 * Compares each root-to-leaf path with the target's greedy tokens (greedy[i] = the target's argmax at
 * node i, i.e. its choice for the token after node i given that node's path). A path's accepted
 * length is its longest prefix whose draft tokens the policy accepts; the longest wins, the first
 * path on ties. `firstDim` is the action dimension of the root's children.
 */
export function verifyTree(tree: DraftTree, greedy: Int32Array, policy: AcceptancePolicy, firstDim: number): Verdict {
  if (greedy.length !== tree.size) throw new Error(`verifyTree: ${greedy.length} greedy tokens for ${tree.size} nodes`);
  let best: number[] = [0];
  for (const path of tree.paths()) {
    let n = 1;
    while (n < path.length && policy.accepts(tree.nodes[path[n]!]!.token, greedy[path[n - 1]!]!, firstDim + n - 1)) n++;
    if (n > best.length) best = path.slice(0, n);
  }
  return {
    path: best,
    accepted: best.slice(1).map((i) => tree.nodes[i]!.token),
    bonus: greedy[best[best.length - 1]!]!,
  };
}
