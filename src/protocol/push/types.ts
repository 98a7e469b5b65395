/**
 * Push rules as the client-server API defines them (modules/push.md "Push Rules",
 * data/api/client-server/definitions/push_rule.yaml, push_condition.yaml, push_ruleset.yaml).
 */
import type { JsonValue } from "../json.js";

/** The kinds of rule, in the order they are checked. */
export const RULE_KINDS = ["override", "content", "room", "sender", "underride"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export function isRuleKind(value: string): value is RuleKind {
  return (RULE_KINDS as readonly string[]).includes(value);
}

/** `"notify"` or `{set_tweak, value?}`; other tweaks and unknown keys pass through untouched. */
export type PushAction = string | { set_tweak: string; value?: JsonValue; [key: string]: JsonValue | undefined };

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: JsonValue;
  [key: string]: JsonValue | undefined;
}

/** A rule as clients see it (GET /pushrules/...). */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** override and underride rules. */
  conditions?: PushCondition[];
  /** content rules. */
  pattern?: string;
}

/** Every rule of a user, each kind in evaluation order. */
export type PushRuleset = Record<RuleKind, PushRule[]>;

/** Client input that is not a valid rule (the service turns it into a 400). */
export class PushRuleError extends Error {}
