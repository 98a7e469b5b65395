/**
 * A user's whole ruleset: the server-default rules with the user's enabled/actions settings, and the
 * user's own rules. Within each kind the user's rules come before the server defaults ("they operate
 * at a lower priority than user-defined rules"), except `.m.rule.master`, which comes before everything.
 */
import { MASTER_RULE_ID, serverDefaultRules } from "./default-rules.js";
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type PushRuleset, type RuleKind } from "./types.js";

/** A rule the user made, as stored. */
export interface UserPushRule {
  kind: RuleKind;
  ruleId: string;
  /** Lower comes first. */
  priority: number;
  conditions: PushCondition[] | null;
  pattern: string | null;
  actions: PushAction[];
}

/** The user's changes to a rule: enabled (any rule) and actions (server-default rules). */
export interface PushRuleSetting {
  kind: RuleKind;
  ruleId: string;
  enabled: boolean | null;
  actions: PushAction[] | null;
}

function settingKey(kind: string, ruleId: string): string {
  return `${kind}\u0000${ruleId}`;
}

/** The client form of a user's rule: conditions for override/underride, pattern for content. */
export function userRuleToClient(rule: UserPushRule, enabled: boolean): PushRule {
  const out: PushRule = { rule_id: rule.ruleId, default: false, enabled, actions: rule.actions };
  if (rule.kind === "override" || rule.kind === "underride") out.conditions = rule.conditions ?? [];
  if (rule.kind === "content" && rule.pattern !== null) out.pattern = rule.pattern;
  return out;
}

export function buildRuleset(userId: string, userRules: readonly UserPushRule[], settings: readonly PushRuleSetting[]): PushRuleset {
  const bySetting = new Map(settings.map((s) => [settingKey(s.kind, s.ruleId), s]));
  const defaults = serverDefaultRules(userId);
  const out = Object.fromEntries(RULE_KINDS.map((k) => [k, [] as PushRule[]])) as unknown as PushRuleset;
  const sorted = [...userRules].sort((a, b) => a.priority - b.priority || (a.ruleId < b.ruleId ? -1 : 1));
  for (const kind of RULE_KINDS) {
    const withSettings = defaults[kind].map((rule) => {
      const setting = bySetting.get(settingKey(kind, rule.rule_id));
      if (setting?.enabled !== null && setting?.enabled !== undefined) rule.enabled = setting.enabled;
      if (setting?.actions) rule.actions = setting.actions;
      return rule;
    });
    const mine = sorted
      .filter((r) => r.kind === kind)
      .map((r) => userRuleToClient(r, bySetting.get(settingKey(kind, r.ruleId))?.enabled ?? true));
    const master = withSettings.filter((r) => r.rule_id === MASTER_RULE_ID);
    out[kind] = [...master, ...mine, ...withSettings.filter((r) => r.rule_id !== MASTER_RULE_ID)];
  }
  return out;
}
