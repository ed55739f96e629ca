/**
 * An acceptance policy decides, during tree verification, whether a drafted token may stand in for
 * the token the target itself would have chosen (its greedy token) at that position.
 */
export interface AcceptancePolicy {
  readonly name: string;
  /**
   * @param draft the drafted token
   * @param greedy the target's greedy token given the same prefix
   * @param dim the action dimension being decoded (0..6)
   */
  accepts(draft: number, greedy: number, dim: number): boolean;
}
