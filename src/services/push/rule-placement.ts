/**
 * Where a created or replaced rule goes among the user's rules of its kind (setPushRule `before` and
 * `after`): `before` makes it the next more important rule than the one named, `after` the next less
 * important; with both, `before` decides (spec); with neither, it becomes the most important.
 */
import { MatrixError } from "../../errors.js";

export interface Placement {
  before?: string | undefined;
  after?: string | undefined;
}

/**
 * The rule IDs in their new order, most important first. `current` is the present order (with or
 * without `ruleId`). A relative rule that is not one of the user's rules (server-default rules
 * included, which "it is not possible to add a rule relative to") is a 400, with pushrules.yaml's
 * example error.
 */
export function placeRule(current: readonly string[], ruleId: string, placement: Placement): string[] {
  const others = current.filter((id) => id !== ruleId);
  const relative = placement.before ?? placement.after;
  if (relative === undefined) return [ruleId, ...others];
  const index = others.indexOf(relative);
  if (index < 0) throw new MatrixError(400, "M_UNKNOWN", `before/after rule not found: ${relative}`);
  const at = placement.before !== undefined ? index : index + 1;
  return [...others.slice(0, at), ruleId, ...others.slice(at)];
}
