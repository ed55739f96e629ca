import type { AcceptancePolicy } from './acceptance.js';
import type { TreeShape } from './draft-tree.js';
import { RelaxedAcceptance } from './relaxed-acceptance.js';
import { StrictAcceptance } from './strict-acceptance.js';

/**
 * How to decode, as users write it on the command line or in a request:
 *   ar                      plain greedy decoding, one target forward per token
 *   strict                  speculative decoding, output identical to ar
 *   relaxed:R               speculative decoding accepting action tokens within R bins
 *   relaxed:R1,R2,...,R7    one radius per action dimension (e.g. relaxed:9,9,9,9,9,9,0)
 * optionally followed by @auto (tree sized from measured costs, the default) or @D,K,N
 * (depth, top-k, total tokens), e.g. relaxed:9@4,4,17, and optionally by +prior (also verify the
 * previous action's tokens, in the prefill forward and as a tree branch), e.g. relaxed:9+prior.
 */
export interface DecoderSpec {
  kind: 'ar' | 'strict' | 'relaxed';
  /** Radius per action dimension, for relaxed. */
  radii?: number[];
  tree: TreeShape | 'auto';
  /** Verify the previous action's tokens too (+prior). */
  prior: boolean;
}

export function parseDecoderSpec(text: string): DecoderSpec {
  const prior = text.trim().endsWith('+prior');
  const [head = '', treeText] = text.trim().replace(/\+prior$/, '').split('@');
  const bad = (why: string): never => {
    throw new Error(`invalid decoder "${text}": ${why}. Expected ar, strict or relaxed:R (R an integer, or 7 of them comma-separated), optionally @auto or @depth,topK,totalTokens, optionally +prior`);
  };
  const tree = treeText === undefined || treeText === 'auto' ? 'auto' : parseTree(treeText, bad);
  if (head === 'ar') {
    if (treeText !== undefined || prior) bad('ar takes no tree and no prior');
    return { kind: 'ar', tree: { depth: 0, topK: 1, totalTokens: 1 }, prior: false };
  }
  if (head === 'strict') return { kind: 'strict', tree, prior };
  const m = /^relaxed:([0-9]+(?:,[0-9]+)*)$/.exec(head);
  if (!m) return bad('unknown decoder');
  const radii = m[1]!.split(',').map(Number);
  if (radii.length === 1) return { kind: 'relaxed', radii: Array<number>(7).fill(radii[0]!), tree, prior };
  if (radii.length !== 7) bad(`${radii.length} radii given, need 1 or 7`);
  return { kind: 'relaxed', radii, tree, prior };
}

function parseTree(text: string, bad: (why: string) => never): TreeShape {
  const parts = text.split(',').map(Number);
  if (parts.length !== 3 || parts.some((x) => !Number.isInteger(x) || x < 0)) bad('tree must be @auto or @depth,topK,totalTokens');
  const [depth, topK, totalTokens] = parts as [number, number, number];
  if (totalTokens < 1 || topK < 1) bad('topK and totalTokens must be at least 1');
  return { depth, topK, totalTokens };
}

/** The acceptance policy a spec asks for (ar verifies nothing; it gets strict for uniformity). */
export function acceptanceFor(spec: DecoderSpec, vocabSize: number): AcceptancePolicy {
  return spec.kind === 'relaxed' ? new RelaxedAcceptance(vocabSize, spec.radii!) : new StrictAcceptance();
}
