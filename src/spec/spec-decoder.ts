import { argmax, concatRows, Tensor } from '../ops/index.js';
import type { AcceptancePolicy } from './acceptance.js';
import { causalMask, emptyStats, KvCache, positionsFrom, type ActionDecoder, type DecodeStats, type LlamaModel } from '../model/index.js';
import type { DraftHead } from './draft-head.js';
import { DraftTree, growDraftTree, type TreeShape } from './draft-tree.js';
import { AcceptanceTracker } from './acceptance-tracker.js';
import { measureCostCurves, medianCurves, type CostCurves } from './cost-curve.js';
import { chooseTreeShape, exploreUnknownDepth, type SizedTree } from './tree-sizing.js';
import { verifyTree } from './verify-tree.js';

export interface SpecDecoderOptions {
  policy: AcceptancePolicy;
  /** A fixed tree, or 'auto': sized from measured verify costs (remeasured every REMEASURE_EVERY calls) and the draft's observed acceptance. */
  tree: TreeShape | 'auto';
  /** The token ids the draft may propose (the action tokens): a contiguous range. */
  candidates: { first: number; count: number };
  /**
   * Also verify the previous call's tokens (a free draft for smooth control): inside the prefill
   * forward, and from the first one rejected there, as one extra branch of each tree.
   */
  priorBranch?: boolean;
  /** Target and draft KV cache capacity (prefix + tokens + tree). */
  capacity?: number;
  /** With tree 'auto': size from these cost curves instead of measuring them on this machine (reproducible sizing). */
  costs?: CostCurves;
}

/**
 * Speculative decoding of action tokens, one cycle at a time:
 *   1. draft: grow a tree of candidate tokens below the last committed token (the root) with the draft head;
 *   2. verify: one target forward over the whole tree under its tree mask;
 *   3. accept: the longest path the acceptance policy accepts, plus the target's own next token;
 *   4. commit: compact the target cache to that path, feed the path's target features to the draft.
 * The target's prefill gives the first token (with priorBranch, also every token of the previous
 * call that it accepts, in that same forward). Drafts never go past the last token asked for, and no
 * forward runs once every token is known.
 */
export class SpecDecoder implements ActionDecoder {
  /** Calls between measurements of the cost curves; trees are sized from the median of the last three. */
  static readonly REMEASURE_EVERY = 100;
  readonly name: string;
  private readonly cache: KvCache;
  private readonly tracker = new AcceptanceTracker(7);
  private costs: CostCurves | null;
  private readonly measured: CostCurves[] = [];
  private calls = 0;
  private prior: number[] | null = null;

  constructor(
    readonly target: LlamaModel,
    readonly draft: DraftHead,
    readonly opts: SpecDecoderOptions,
  ) {
    const tree = opts.tree === 'auto' ? 'auto' : `${opts.tree.depth},${opts.tree.topK},${opts.tree.totalTokens}`;
    this.name = `${opts.policy.name}@${tree}${opts.priorBranch ? '+prior' : ''}`;
    this.costs = opts.costs ?? null;
    this.cache = new KvCache(target.cfg.nLayers, target.kvWidth, opts.capacity ?? 1024);
  }

  /** Forgets the previous call's tokens (start of a new episode). */
  reset(): void {
    this.prior = null;
  }

  decode(prefix: Tensor, count: number): { tokens: number[]; stats: DecodeStats } {
    const stats = emptyStats();
    const t0 = performance.now();
    const d = this.target.cfg.hidden;
    const P = prefix.rows;
    if (this.opts.tree === 'auto' && !this.opts.costs && this.calls % SpecDecoder.REMEASURE_EVERY === 0) {
      this.measured.push(measureCostCurves(this.target, this.draft, prefix, this.opts.candidates));
      if (this.measured.length > 3) this.measured.shift();
      this.costs = medianCurves(this.measured);
    }
    this.calls++;

    this.cache.truncate(0);
    // The previous call's tokens ride along in the prefill: greedy[i] is the target's token i given
    // the prefix and prior[0..i-1], so the one forward both starts decoding and verifies the prior.
    const prior = this.opts.priorBranch && this.prior && this.prior.length >= count ? this.prior.slice(0, count) : [];
    const fed = Math.max(0, prior.length - 1);
    const input = fed > 0 ? concatRows([prefix, this.target.embed(prior.slice(0, fed))]) : prefix;
    const pre = this.target.forward(input, positionsFrom(0, P + fed), causalMask(0, P + fed), this.cache, { logits: fed + 1, prompt: P });
    const greedy = argmax(pre.logits);
    const tokens: number[] = [];
    const accepted: boolean[] = [];
    for (let i = 0; tokens.length < count; i++) {
      const ok = i < prior.length && this.opts.policy.accepts(prior[i]!, greedy[i]!, i);
      tokens.push(ok ? prior[i]! : greedy[i]!);
      accepted.push(ok);
      if (!ok) break;
    }
    stats.targetForwards = 1;
    stats.prefillMs = performance.now() - t0;

    if (tokens.length < count) {
      // Keep the prior's entries only up to the last committed token's predecessor: the last token is the next root.
      const j = tokens.length - 1;
      this.cache.truncate(P + j);
      // The draft's feature for the root, or null when the tokens left are decoded without drafting.
      let rootFeature: Tensor | null = null;
      if (this.draftPays(tokens.length, count - tokens.length)) {
        // Draft prefill: position i reads (embedding of item i+1, target feature i); the last item is token j.
        const t = performance.now();
        this.draft.cache.truncate(0);
        const shifted = concatRows([prefix.slice(1, P), this.target.embed(tokens)]);
        // Rows before P - 1 pair a prompt embedding with a prompt feature: the draft's own prompt.
        rootFeature = this.draft.forward(shifted, pre.hidden.slice(0, P + j), positionsFrom(0, P + j), causalMask(0, P + j), P - 1).slice(P + j - 1, P + j);
        stats.draftForwards = 1;
        stats.draftMs += performance.now() - t;
      }

      while (tokens.length < count) {
        const n = tokens.length;
        const L = this.cache.length;
        const left = count - n;
        const td = performance.now();
        const { tree, rounds } = rootFeature ? this.growTree(tokens[n - 1]!, rootFeature, this.shapeFor(n, left), L) : { tree: DraftTree.root(tokens[n - 1]!), rounds: 0 };
        const full = this.opts.priorBranch && this.prior ? tree.withBranch(this.prior.slice(n, count)) : tree;
        stats.draftForwards += rounds;
        stats.draftMs += performance.now() - td;

        const tv = performance.now();
        const out = this.target.forward(this.target.embed(full.tokens()), full.positions(L), full.mask(L), this.cache);
        const verdict = verifyTree(full, argmax(out.logits), this.opts.policy, n);
        stats.targetForwards++;
        this.tracker.record(full, verdict.path, n);
        this.cache.keep([...positionsFrom(0, L), ...verdict.path.map((i) => L + i)]);
        for (const tok of verdict.accepted) {
          tokens.push(tok);
          accepted.push(true);
        }
        if (tokens.length < count) {
          tokens.push(verdict.bonus);
          accepted.push(false);
        }
        stats.verifyMs += performance.now() - tv;
        if (tokens.length >= count || !rootFeature) continue;

        // The draft continues from the target's true features along the accepted path.
        const tu = performance.now();
        const m = verdict.path.length;
        const features = Tensor.zeros([m, d]);
        verdict.path.forEach((node, j) => features.data.set(out.hidden.data.subarray(node * d, (node + 1) * d), j * d));
        const next = this.target.embed([...verdict.accepted, verdict.bonus]);
        rootFeature = this.draft.forward(next, features, positionsFrom(L, m), causalMask(L, m)).slice(m - 1, m);
        stats.draftForwards++;
        stats.draftMs += performance.now() - tu;
      }
    }
    this.prior = tokens;
    stats.tokens = tokens.length;
    stats.acceptLength = tokens.length / stats.targetForwards;
    stats.accepted = accepted;
    stats.totalMs = performance.now() - t0;
    return { tokens, stats };
  }

  /**
   * Whether to draft the `left` tokens after token n - 1 at all. The draft first needs its own
   * prefill over the whole prefix (about one target step on the default model), so that must buy
   * more than it costs: the sized trees' expected cost plus the prefill against `left` plain steps.
   * Fixed trees always draft; so does a tree over a dimension the tracker still needs evidence on.
   */
  private draftPays(n: number, left: number): boolean {
    if (this.opts.tree !== 'auto') return true;
    if (this.unknownDims(n, left).some(Boolean)) return true;
    return this.sizedTree(n, left).expectedCost + this.costs!.draftPrefill < left;
  }

  /** The tree sizing picks for the `left` tokens after token n - 1, from the cost curves and the tracked acceptance. */
  private sizedTree(n: number, left: number): SizedTree {
    const costs = this.costs!;
    return chooseTreeShape({ targetCost: costs.target, draftCost: costs.draft, acceptance: this.tracker.estimates(n, left), maxDepth: left });
  }

  /** unknown[d]: whether dimension n + d has too little evidence to judge the draft on (AcceptanceTracker.needsEvidence). */
  private unknownDims(n: number, left: number): boolean[] {
    return Array.from({ length: left }, (_, d) => this.tracker.needsEvidence(n + d));
  }

  /** The tree below token n - 1 (its children decode dimension n), with `left` tokens still to decode. */
  private shapeFor(n: number, left: number): TreeShape {
    if (this.opts.tree !== 'auto') return { ...this.opts.tree, depth: Math.min(this.opts.tree.depth, left) };
    return exploreUnknownDepth(this.sizedTree(n, left), this.unknownDims(n, left));
  }

  /**
   * Grows the draft tree below `root`. Each expansion round feeds the frontier nodes to the draft
   * (position L + depth - 1, seeing the accepted prefix and their own ancestors) to get their
   * predicted features, then proposes children from those features. The draft cache is rolled back
   * to the accepted prefix afterwards.
   */
  private growTree(root: number, rootFeature: Tensor, shape: TreeShape, L: number): { tree: DraftTree; rounds: number } {
    const draft = this.draft;
    const base = draft.cache.length;
    const d = this.target.cfg.hidden;
    const feature = new Map<number, Tensor>([[0, rootFeature]]);
    const slot = new Map<number, number>();
    let rounds = 0;
    const tree = growDraftTree(root, shape, (frontier, nodes) => {
      const fresh = frontier.filter((i) => !feature.has(i));
      if (fresh.length > 0) {
        const T = fresh.length;
        const past = draft.cache.length;
        const mask = Tensor.zeros([T, past + T]);
        mask.data.fill(-Infinity);
        const parentFeatures = Tensor.zeros([T, d]);
        fresh.forEach((node, r) => {
          const row = r * (past + T);
          mask.data.fill(0, row, row + base);
          for (let a = nodes[node]!.parent; a > 0; a = nodes[a]!.parent) mask.data[row + slot.get(a)!] = 0;
          mask.data[row + past + r] = 0;
          parentFeatures.data.set(feature.get(nodes[node]!.parent)!.data, r * d);
          slot.set(node, past + r);
        });
        const positions = Int32Array.from(fresh, (node) => L + nodes[node]!.depth - 1);
        const out = draft.forward(this.target.embed(fresh.map((i) => nodes[i]!.token)), parentFeatures, positions, mask);
        fresh.forEach((node, r) => feature.set(node, out.slice(r, r + 1)));
        rounds++;
      }
      return draft.propose(concatRows(frontier.map((node) => feature.get(node)!)), shape.topK, this.opts.candidates);
    });
    draft.cache.truncate(base);
    return { tree, rounds };
  }
}
