/**
 * Users' push rules (`push_rules`: rules they made, ordered by priority within a kind),
 * their settings (`push_rule_settings`: enabled flags of any rule, action overrides of server-default
 * rules) and the push-rules change stream (`push_rules_stream`).
 */
import type { PushAction, PushCondition, RuleKind } from "../protocol/push/types.js";
import type { PushRuleSetting, UserPushRule } from "../protocol/push/ruleset.js";
import type { Db, Executor } from "./db.js";

export interface StoredRules {
  rules: UserPushRule[];
  settings: PushRuleSetting[];
}

type RuleRow = { user_id: string; kind: string; rule_id: string; priority: number; conditions: string | null; pattern: string | null; actions: string };
type SettingRow = { user_id: string; kind: string; rule_id: string; enabled: number | null; actions: string | null };

function toRule(row: RuleRow): UserPushRule {
  return {
    kind: row.kind as RuleKind,
    ruleId: row.rule_id,
    priority: Number(row.priority),
    conditions: row.conditions === null ? null : (JSON.parse(row.conditions) as PushCondition[]),
    pattern: row.pattern,
    actions: JSON.parse(row.actions) as PushAction[],
  };
}

function toSetting(row: SettingRow): PushRuleSetting {
  return {
    kind: row.kind as RuleKind,
    ruleId: row.rule_id,
    enabled: row.enabled === null ? null : !!Number(row.enabled),
    actions: row.actions === null ? null : (JSON.parse(row.actions) as PushAction[]),
  };
}

export class PushRuleStore {
  constructor(private readonly db: Db) {}

  /** Every rule and setting of these users (users with none are present with empty lists). */
  async rulesOf(userIds: readonly string[], executor: Executor = this.db.kysely): Promise<Map<string, StoredRules>> {
    const out = new Map<string, StoredRules>(userIds.map((u) => [u, { rules: [], settings: [] }]));
    for (let i = 0; i < userIds.length; i += 500) {
      const chunk = userIds.slice(i, i + 500);
      const rules = await executor.selectFrom("push_rules").selectAll().where("user_id", "in", chunk).execute();
      for (const row of rules) out.get(row.user_id)?.rules.push(toRule(row as RuleRow));
      const settings = await executor.selectFrom("push_rule_settings").selectAll().where("user_id", "in", chunk).execute();
      for (const row of settings) out.get(row.user_id)?.settings.push(toSetting(row as SettingRow));
    }
    return out;
  }

  /** A user's rules of one kind, most important first. */
  async rulesOfKind(executor: Executor, userId: string, kind: RuleKind): Promise<UserPushRule[]> {
    const rows = await executor
      .selectFrom("push_rules")
      .selectAll()
      .where("user_id", "=", userId)
      .where("kind", "=", kind)
      .orderBy("priority")
      .orderBy("rule_id")
      .execute();
    return rows.map((r) => toRule(r as RuleRow));
  }

  async insertRule(executor: Executor, userId: string, rule: UserPushRule): Promise<void> {
    await executor
      .insertInto("push_rules")
      .values({
        user_id: userId,
        kind: rule.kind,
        rule_id: rule.ruleId,
        priority: rule.priority,
        conditions: rule.conditions === null ? null : JSON.stringify(rule.conditions),
        pattern: rule.pattern,
        actions: JSON.stringify(rule.actions),
      })
      .execute();
  }

  async updateRule(executor: Executor, userId: string, rule: UserPushRule): Promise<void> {
    await executor
      .updateTable("push_rules")
      .set({
        priority: rule.priority,
        conditions: rule.conditions === null ? null : JSON.stringify(rule.conditions),
        pattern: rule.pattern,
        actions: JSON.stringify(rule.actions),
      })
      .where("user_id", "=", userId)
      .where("kind", "=", rule.kind)
      .where("rule_id", "=", rule.ruleId)
      .execute();
  }

  async setPriority(executor: Executor, userId: string, kind: RuleKind, ruleId: string, priority: number): Promise<void> {
    await executor.updateTable("push_rules").set({ priority }).where("user_id", "=", userId).where("kind", "=", kind).where("rule_id", "=", ruleId).execute();
  }

  /** Deletes a user's rule and its settings; false when there was no such rule. */
  async deleteRule(executor: Executor, userId: string, kind: RuleKind, ruleId: string): Promise<boolean> {
    const result = await executor.deleteFrom("push_rules").where("user_id", "=", userId).where("kind", "=", kind).where("rule_id", "=", ruleId).executeTakeFirst();
    await this.deleteSettings(executor, userId, kind, ruleId);
    return Number(result.numDeletedRows) > 0;
  }

  async deleteSettings(executor: Executor, userId: string, kind: RuleKind, ruleId: string): Promise<void> {
    await executor.deleteFrom("push_rule_settings").where("user_id", "=", userId).where("kind", "=", kind).where("rule_id", "=", ruleId).execute();
  }

  async setEnabled(executor: Executor, userId: string, kind: RuleKind, ruleId: string, enabled: boolean): Promise<void> {
    await executor
      .insertInto("push_rule_settings")
      .values({ user_id: userId, kind, rule_id: ruleId, enabled: enabled ? 1 : 0, actions: null })
      .onConflict((oc) => oc.columns(["user_id", "kind", "rule_id"]).doUpdateSet({ enabled: enabled ? 1 : 0 }))
      .execute();
  }

  /** Replaces the actions of a server-default rule for this user. */
  async setDefaultRuleActions(executor: Executor, userId: string, kind: RuleKind, ruleId: string, actions: readonly PushAction[]): Promise<void> {
    const json = JSON.stringify(actions);
    await executor
      .insertInto("push_rule_settings")
      .values({ user_id: userId, kind, rule_id: ruleId, enabled: null, actions: json })
      .onConflict((oc) => oc.columns(["user_id", "kind", "rule_id"]).doUpdateSet({ actions: json }))
      .execute();
  }

  /** Records that a user's rules changed at `streamId` of the push_rules stream. */
  async recordChange(executor: Executor, userId: string, streamId: number): Promise<void> {
    await executor
      .insertInto("push_rules_stream")
      .values({ user_id: userId, stream_id: streamId })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ stream_id: streamId }))
      .execute();
  }

  /** Whether a user's rules changed in (after, upTo]. */
  async changedBetween(userId: string, after: number, upTo: number): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom("push_rules_stream")
      .select("stream_id")
      .where("user_id", "=", userId)
      .where("stream_id", ">", after)
      .where("stream_id", "<=", upTo)
      .executeTakeFirst();
    return row !== undefined;
  }
}
