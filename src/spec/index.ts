export type { AcceptancePolicy } from './acceptance.js';
export { StrictAcceptance } from './strict-acceptance.js';
export { RelaxedAcceptance } from './relaxed-acceptance.js';
export { DraftTree, growDraftTree, type DraftNode, type Proposal, type TreeShape } from './draft-tree.js';
export { verifyTree, type Verdict } from './verify-tree.js';
export { chooseTreeShape, expectedAccepted, interpolateCost, type SizingInputs, type SizedTree } from './tree-sizing.js';
export { parseDecoderSpec, acceptanceFor, type DecoderSpec } from './decoder-spec.js';
