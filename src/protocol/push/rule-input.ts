/**
 * Checking the rules clients send (pushrules.yaml setPushRule): the rule ID, the body for the rule's
 * kind, and the conditions.
 */
import { isJsonObject, type JsonValue } from "../json.js";
import { parseActions } from "./actions.js";
import { PushRuleError, type PushAction, type PushCondition, type RuleKind } from "./types.js";

/** IDs starting with "." are reserved for server-default rules; "/" and "\" are not allowed. */
export function checkNewRuleId(ruleId: string): void {
  if (ruleId.length === 0) throw new PushRuleError("rule_id must not be empty");
  if (ruleId.startsWith(".")) throw new PushRuleError("rule IDs starting with '.' are reserved for server-default rules");
  if (ruleId.includes("/") || ruleId.includes("\\")) throw new PushRuleError("rule IDs may not contain slashes or backslashes");
}

function isScalar(value: JsonValue | undefined): boolean {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isSafeInteger(value)) ||
    (typeof value === "bigint" && Number.isSafeInteger(Number(value)))
  );
}

/** Conditions of known kinds must carry their parameters; unknown kinds are kept (they never match). */
function parseCondition(raw: unknown): PushCondition {
  if (!isJsonObject(raw) || typeof raw["kind"] !== "string") throw new PushRuleError("Each condition must be an object with a string kind");
  const c = raw as PushCondition;
  const needString = (field: string): void => {
    if (typeof c[field] !== "string") throw new PushRuleError(`${c.kind} conditions need a string ${field}`);
  };
  switch (c.kind) {
    case "event_match":
      needString("key");
      needString("pattern");
      break;
    case "event_property_is":
    case "event_property_contains":
      needString("key");
      if (!isScalar(c.value)) throw new PushRuleError(`${c.kind} conditions need a string, integer, boolean or null value`);
      break;
    case "room_member_count":
      needString("is");
      if (!/^(==|<=|>=|<|>)?[0-9]+$/.test(c.is as string)) throw new PushRuleError("room_member_count is must be an integer with an optional ==, <, >, >= or <= prefix");
      break;
    case "sender_notification_permission":
      needString("key");
      break;
  }
  return c;
}

export interface RuleInput {
  actions: PushAction[];
  conditions: PushCondition[] | null;
  pattern: string | null;
}

/** The parts of a PUT body that a rule of this kind uses. */
export function parseRuleInput(kind: RuleKind, body: Record<string, unknown>): RuleInput {
  if (body["actions"] === undefined) throw new PushRuleError("actions is required");
  const actions = parseActions(body["actions"]);
  if (kind === "override" || kind === "underride") {
    const raw = body["conditions"] ?? [];
    if (!Array.isArray(raw)) throw new PushRuleError("conditions must be a list");
    return { actions, conditions: raw.map(parseCondition), pattern: null };
  }
  if (kind === "content") {
    if (typeof body["pattern"] !== "string") throw new PushRuleError("content rules need a string pattern");
    return { actions, conditions: null, pattern: body["pattern"] };
  }
  return { actions, conditions: null, pattern: null };
}
