import type { ActionDecoder, VlaPolicy } from '../model/index.js';
import { ArDecoder } from '../model/index.js';
import { acceptanceFor, parseDecoderSpec, type DecoderSpec } from './decoder-spec.js';
import type { DraftHead } from './draft-head.js';
import { SpecDecoder } from './spec-decoder.js';

/** The decoder a spec names ('ar', 'strict', 'relaxed:9', 'relaxed:9@4,4,17', 'relaxed:9+prior', ...), for a policy and its draft head. */
export function createDecoder(policy: VlaPolicy, spec: DecoderSpec | string, draft?: DraftHead): ActionDecoder {
  const s = typeof spec === 'string' ? parseDecoderSpec(spec) : spec;
  if (s.kind === 'ar') return new ArDecoder(policy.llm);
  if (!draft) throw new Error(`decoder "${typeof spec === 'string' ? spec : s.kind}" needs a draft head (give --draft DIR)`);
  if (draft.target !== policy.llm) throw new Error('the draft head was loaded for another target model');
  const tok = policy.actionTokenizer;
  return new SpecDecoder(policy.llm, draft, {
    policy: acceptanceFor(s, tok.vocabSize),
    tree: s.tree,
    candidates: { first: tok.firstToken, count: 256 },
    priorBranch: s.prior,
  });
}
