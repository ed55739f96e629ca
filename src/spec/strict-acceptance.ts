import type { AcceptancePolicy } from './acceptance.js';

/** Standard speculative decoding: a draft token is kept only if it is the target's greedy token. Lossless. */
export class StrictAcceptance implements AcceptancePolicy {
  readonly name = 'strict';

  accepts(draft: number, greedy: number, _dim?: number): boolean {
    return draft === greedy;
  }
}
