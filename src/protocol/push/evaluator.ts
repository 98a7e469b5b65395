/**
 * Evaluating push rules (modules/push.md "Push Rules"): the first enabled rule, in kind order and
 * then rule order, whose conditions all hold gives the actions. No match means no notification.
 * A user's ruleset is compiled once; an evaluation of one event remembers the result of every shared
 * condition, so a room of a thousand members with the default rules costs a handful of matches.
 */
import { stripHistoricalActions } from "./actions.js";
import { compileCondition, type CompiledCondition, type EventEnvironment, type UserEnvironment } from "./conditions.js";
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type PushRuleset, type RuleKind } from "./types.js";

interface CompiledRule {
  readonly kind: RuleKind;
  readonly ruleId: string;
  readonly conditions: readonly CompiledCondition[];
  readonly actions: PushAction[];
}

/** The implied conditions of content, room and sender rules. */
function conditionsOf(kind: RuleKind, rule: PushRule): PushCondition[] {
  switch (kind) {
    case "content":
      return typeof rule.pattern === "string" ? [{ kind: "event_match", key: "content.body", pattern: rule.pattern }] : [{ kind: "never" }];
    case "room":
      return [{ kind: "event_property_is", key: "room_id", value: rule.rule_id }];
    case "sender":
      return [{ kind: "event_property_is", key: "sender", value: rule.rule_id }];
    default:
      return rule.conditions ?? [];
  }
}

export class CompiledRuleset {
  private constructor(
    readonly rules: readonly CompiledRule[],
    /** Whether any enabled rule needs the user's display name. */
    readonly usesDisplayName: boolean,
  ) {}

  static compile(ruleset: PushRuleset): CompiledRuleset {
    const rules: CompiledRule[] = [];
    let usesDisplayName = false;
    for (const kind of RULE_KINDS) {
      for (const rule of ruleset[kind]) {
        if (!rule.enabled) continue;
        const conditions = conditionsOf(kind, rule);
        if (conditions.some((c) => c.kind === "contains_display_name")) usesDisplayName = true;
        rules.push({ kind, ruleId: rule.rule_id, conditions: conditions.map(compileCondition), actions: stripHistoricalActions(rule.actions) });
      }
    }
    return new CompiledRuleset(rules, usesDisplayName);
  }
}

export interface PushMatch {
  kind: RuleKind;
  ruleId: string;
  actions: PushAction[];
}

/** One event's evaluation for any number of users. */
export class PushEvaluation {
  private readonly shared = new Map<CompiledCondition, boolean>();

  constructor(private readonly env: EventEnvironment) {}

  private holds(condition: CompiledCondition, user: UserEnvironment): boolean {
    if (!condition.shared) return condition.test(this.env, user);
    let result = this.shared.get(condition);
    if (result === undefined) {
      result = condition.test(this.env, user);
      this.shared.set(condition, result);
    }
    return result;
  }

  /** The rule that applies for this user, or undefined when none matches. */
  match(ruleset: CompiledRuleset, user: UserEnvironment): PushMatch | undefined {
    for (const rule of ruleset.rules) {
      if (rule.conditions.every((c) => this.holds(c, user))) return { kind: rule.kind, ruleId: rule.ruleId, actions: rule.actions };
    }
    return undefined;
  }
}
