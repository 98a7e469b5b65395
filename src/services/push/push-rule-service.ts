/**
 * The push rules API (client-server API "Push Rules: API", pushrules.yaml): a user's ruleset is the
 * server-default rules with the user's enabled flags and actions, plus the rules the user made, in
 * priority order. Every change takes a position on the account_data stream, is recorded on the
 * push-rules stream (so /sync sends the new `m.push_rules`), and wakes the user's /sync.
 */
import { MatrixError } from "../../errors.js";
import { parseActions } from "../../protocol/push/actions.js";
import { isServerDefaultRule } from "../../protocol/push/default-rules.js";
import { buildRuleset, type UserPushRule } from "../../protocol/push/ruleset.js";
import { checkNewRuleId, parseRuleInput } from "../../protocol/push/rule-input.js";
import { isRuleKind, PushRuleError, type PushAction, type PushRule, type PushRuleset, type RuleKind } from "../../protocol/push/types.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db, Tx } from "../../storage/db.js";
import type { PushRuleStore } from "../../storage/push-rule-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { PushRulesCache } from "./push-rules-cache.js";
import { placeRule, type Placement } from "./rule-placement.js";

/** Where a rule is: `scope` (only "global" exists), kind and ID, as the request path gives them. */
export interface RulePath {
  scope: string;
  kind: string;
  ruleId: string;
}

const notFound = (): MatrixError => new MatrixError(404, "M_NOT_FOUND", "The push rule was not found.");

function invalid(error: unknown): never {
  if (error instanceof PushRuleError) throw new MatrixError(400, "M_INVALID_PARAM", error.message);
  throw error;
}

/** Only the `global` scope exists; another is a 400 (as Synapse answers), not a 404. */
function checkScope(scope: string): void {
  if (scope !== "global") throw new MatrixError(400, "M_INVALID_PARAM", `Unknown push rule scope ${scope}`);
}

/** The kind of a rule path; an unknown scope or kind is a 400 (as Synapse answers). */
function kindOf(path: RulePath): RuleKind {
  checkScope(path.scope);
  if (!isRuleKind(path.kind)) throw new MatrixError(400, "M_INVALID_PARAM", `Unknown push rule kind ${path.kind}`);
  return path.kind;
}

export class PushRuleService {
  // One read-modify-write of a user's rules at a time (priorities are renumbered on insertion).
  private readonly perUser = new RoomLinearizer();

  constructor(
    private readonly db: Db,
    private readonly store: PushRuleStore,
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
    private readonly cache: PushRulesCache,
  ) {}

  /** GET /pushrules/global/: the user's whole ruleset. */
  async ruleset(userId: string): Promise<PushRuleset> {
    const stored = (await this.store.rulesOf([userId])).get(userId) ?? { rules: [], settings: [] };
    return buildRuleset(userId, stored.rules, stored.settings);
  }

  /** Checks a scope path segment (GET /pushrules/{scope}/). */
  checkScope(scope: string): void {
    checkScope(scope);
  }

  /** GET /pushrules/global/{kind}/{ruleId}. */
  async rule(userId: string, path: RulePath): Promise<PushRule> {
    const kind = kindOf(path);
    const found = (await this.ruleset(userId))[kind].find((r) => r.rule_id === path.ruleId);
    if (!found) throw notFound();
    return found;
  }

  /**
   * PUT /pushrules/global/{kind}/{ruleId}: creates or replaces a rule the user made. `before` wins
   * over `after` when both are given (spec); neither puts the rule first among the user's rules of
   * its kind, for an update too (Synapse; the spec only says so for a new rule).
   */
  async setRule(userId: string, path: RulePath, body: Record<string, unknown>, placement: Placement): Promise<void> {
    const kind = kindOf(path);
    let input;
    try {
      checkNewRuleId(path.ruleId);
      input = parseRuleInput(kind, body);
    } catch (error) {
      invalid(error);
    }
    await this.change(userId, async (tx) => {
      const existing = await this.store.rulesOfKind(tx.db, userId, kind);
      const isNew = !existing.some((r) => r.ruleId === path.ruleId);
      const order = placeRule(
        existing.map((r) => r.ruleId),
        path.ruleId,
        placement,
      );
      const rule: UserPushRule = { kind, ruleId: path.ruleId, priority: order.indexOf(path.ruleId), ...input };
      if (isNew) {
        await this.store.insertRule(tx.db, userId, rule);
        // A rule of this ID may have been deleted with settings left behind by another process: start clean.
        await this.store.deleteSettings(tx.db, userId, kind, path.ruleId);
      } else {
        await this.store.updateRule(tx.db, userId, rule);
      }
      const before = new Map(existing.map((r) => [r.ruleId, r.priority]));
      for (const [priority, ruleId] of order.entries()) {
        if (ruleId !== path.ruleId && before.get(ruleId) !== priority) await this.store.setPriority(tx.db, userId, kind, ruleId, priority);
      }
    });
  }

  /** DELETE /pushrules/global/{kind}/{ruleId}: only rules the user made can be deleted. */
  async deleteRule(userId: string, path: RulePath): Promise<void> {
    const kind = kindOf(path);
    await this.change(userId, async (tx) => {
      if (!(await this.store.deleteRule(tx.db, userId, kind, path.ruleId))) throw notFound();
    });
  }

  /** GET /pushrules/global/{kind}/{ruleId}/enabled. */
  async isEnabled(userId: string, path: RulePath): Promise<boolean> {
    return (await this.rule(userId, path)).enabled;
  }

  /** PUT /pushrules/global/{kind}/{ruleId}/enabled: server-default and user rules alike. */
  async setEnabled(userId: string, path: RulePath, enabled: boolean): Promise<void> {
    const kind = kindOf(path);
    await this.change(userId, async (tx) => {
      await this.requireRule(tx, userId, kind, path.ruleId);
      await this.store.setEnabled(tx.db, userId, kind, path.ruleId, enabled);
    });
  }

  /** GET /pushrules/global/{kind}/{ruleId}/actions. */
  async actions(userId: string, path: RulePath): Promise<PushAction[]> {
    return (await this.rule(userId, path)).actions;
  }

  /** PUT /pushrules/global/{kind}/{ruleId}/actions: a server-default rule keeps its new actions as a setting. */
  async setActions(userId: string, path: RulePath, rawActions: unknown): Promise<void> {
    const kind = kindOf(path);
    let actions: PushAction[] = [];
    try {
      actions = parseActions(rawActions);
    } catch (error) {
      invalid(error);
    }
    await this.change(userId, async (tx) => {
      const rule = await this.requireRule(tx, userId, kind, path.ruleId);
      if (rule === "default") await this.store.setDefaultRuleActions(tx.db, userId, kind, path.ruleId, actions);
      else await this.store.updateRule(tx.db, userId, { ...rule, actions });
    });
  }

  /** The user's rule of that kind and ID, "default" for a server-default rule, or 404. */
  private async requireRule(tx: Tx, userId: string, kind: RuleKind, ruleId: string): Promise<UserPushRule | "default"> {
    if (isServerDefaultRule(kind, ruleId)) return "default";
    const rule = (await this.store.rulesOfKind(tx.db, userId, kind)).find((r) => r.ruleId === ruleId);
    if (!rule) throw notFound();
    return rule;
  }

  /** Runs a change of the user's rules in one transaction with its stream position, then wakes /sync. */
  private async change(userId: string, work: (tx: Tx) => Promise<void>): Promise<void> {
    await this.perUser.run(userId, () =>
      this.db.transaction(async (tx) => {
        await work(tx);
        await this.store.recordChange(tx.db, userId, this.stream.allocate(tx));
        tx.onCommit(() => {
          this.cache.invalidate(userId);
          this.notifier.notify({ stream: "account_data", position: this.stream.current, userIds: [userId] });
        });
      }),
    );
  }
}
