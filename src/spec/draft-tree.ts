import { Tensor } from '../ops/index.js';

/** One node of a draft tree. Node 0 is the root: the last committed token, not yet in the target's cache. */
export interface DraftNode {
  token: number;
  /** Index of the parent node; -1 for the root. */
  parent: number;
  /** Distance from the root (the root is 0). */
  depth: number;
  /** Sum of the draft's log-probabilities along the path from the root. */
  score: number;
}

/** What the draft proposes below one frontier node: its best candidate tokens and their log-probabilities. */
export interface Proposal {
  tokens: ArrayLike<number>;
  logProbs: ArrayLike<number>;
}

export interface TreeShape {
  /** Expansion rounds below the root; the deepest draft token is at depth `depth`. */
  depth: number;
  /** Children proposed per expanded node, and nodes expanded per round. */
  topK: number;
  /** Nodes in the final tree, root included. */
  totalTokens: number;
}

/**
 * A tree of drafted tokens in topological order (parents before children), with what verification
 * needs: the tokens, the tree attention mask, the position ids and the root-to-leaf paths.
 */
export class DraftTree {
  constructor(readonly nodes: readonly DraftNode[]) {
    nodes.forEach((n, i) => {
      if (i === 0 ? n.parent !== -1 : n.parent < 0 || n.parent >= i) throw new Error(`DraftTree: node ${i} has parent ${n.parent}`);
    });
  }

  /** A tree of the root alone: plain autoregressive decoding. */
  static root(token: number): DraftTree {
    return new DraftTree([{ token, parent: -1, depth: 0, score: 0 }]);
  }

  get size(): number {
    return this.nodes.length;
  }

  get maxDepth(): number {
    return this.nodes.reduce((d, n) => Math.max(d, n.depth), 0);
  }

  tokens(): Int32Array {
    return Int32Array.from(this.nodes, (n) => n.token);
  }

  /** Position ids: the root sits right after the `past` committed positions. */
  positions(past: number): Int32Array {
    return Int32Array.from(this.nodes, (n) => past + n.depth);
  }

  /** Additive mask [size, past + size]: each node sees the committed prefix, its ancestors and itself. */
  mask(past: number): Tensor {
    const n = this.size;
    const m = Tensor.zeros([n, past + n]);
    m.data.fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const row = i * (past + n);
      m.data.fill(0, row, row + past);
      for (let a = i; a >= 0; a = this.nodes[a]!.parent) m.data[row + past + a] = 0;
    }
    return m;
  }

  /**
   * The tree plus one more path below the root with the given tokens, sharing the nodes of any prefix
   * already present (a free draft: e.g. the previous control step's action tokens). New nodes get
   * score -Infinity: they come from outside the draft model.
   */
  withBranch(tokens: readonly number[]): DraftTree {
    const nodes = [...this.nodes];
    let at = 0;
    for (const token of tokens) {
      const existing = nodes.findIndex((n) => n.parent === at && n.token === token);
      if (existing >= 0) {
        at = existing;
        continue;
      }
      nodes.push({ token, parent: at, depth: nodes[at]!.depth + 1, score: -Infinity });
      at = nodes.length - 1;
    }
    return new DraftTree(nodes);
  }

  /** Every root-to-leaf path as node indices, in node order of their leaves. */
  paths(): number[][] {
    const hasChild = new Array<boolean>(this.size).fill(false);
    for (const n of this.nodes) if (n.parent >= 0) hasChild[n.parent] = true;
    const out: number[][] = [];
    for (let i = 0; i < this.size; i++) {
      if (hasChild[i]) continue;
      const path: number[] = [];
      for (let a = i; a >= 0; a = this.nodes[a]!.parent) path.push(a);
      out.push(path.reverse());
    }
    return out;
  }
}

/**
 * EAGLE-2's dynamic tree. From the root, `depth` rounds: the draft proposes `topK` children for each
 * of the `topK` best frontier nodes; a child's score is its parent's plus its log-probability; the
 * `topK` best new nodes form the next frontier. Then every proposed node is reranked by score and the
 * best `totalTokens - 1` are kept. A node's score never exceeds its parent's (log-probabilities are
 * <= 0; ties go to the shallower node), so the kept set is closed under ancestry.
 *
 * `propose(frontier, nodes)` runs the draft on the frontier nodes (indices into `nodes`, the nodes
 * proposed so far) and returns one Proposal per frontier node.
 */
export function growDraftTree(rootToken: number, shape: TreeShape, propose: (frontier: readonly number[], nodes: readonly DraftNode[]) => Proposal[]): DraftTree {
  const all: DraftNode[] = [{ token: rootToken, parent: -1, depth: 0, score: 0 }];
  if (shape.totalTokens <= 1 || shape.depth <= 0 || shape.topK <= 0) return new DraftTree(all);
  let frontier = [0];
  for (let level = 0; level < shape.depth && frontier.length > 0; level++) {
    const proposals = propose(frontier, all);
    const born: number[] = [];
    frontier.forEach((parent, f) => {
      const p = proposals[f]!;
      const k = Math.min(shape.topK, p.tokens.length);
      for (let j = 0; j < k; j++) {
        all.push({ token: p.tokens[j]!, parent, depth: all[parent]!.depth + 1, score: all[parent]!.score + p.logProbs[j]! });
        born.push(all.length - 1);
      }
    });
    frontier = born.sort(byScore(all)).slice(0, shape.topK);
  }
  const kept = all.map((_, i) => i).slice(1).sort(byScore(all)).slice(0, shape.totalTokens - 1);
  return prune(all, new Set([0, ...kept]));
}

/** Best score first; shallower first on ties (keeps ancestors ahead of descendants); then older first. */
function byScore(nodes: readonly DraftNode[]): (a: number, b: number) => number {
  return (a, b) => nodes[b]!.score - nodes[a]!.score || nodes[a]!.depth - nodes[b]!.depth || a - b;
}

/** The kept nodes in topological order (by depth, then by proposal order), parents re-indexed. */
function prune(all: readonly DraftNode[], keep: Set<number>): DraftTree {
  const order = [...keep].sort((a, b) => all[a]!.depth - all[b]!.depth || a - b);
  const index = new Map(order.map((old, i) => [old, i]));
  return new DraftTree(
    order.map((old) => {
      const n = all[old]!;
      const parent = n.parent < 0 ? -1 : index.get(n.parent);
      if (parent === undefined) throw new Error('growDraftTree: kept a node without its parent');
      return { ...n, parent };
    }),
  );
}
