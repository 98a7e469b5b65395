/**
 * Compiled push rules per user, for evaluating every new event against every member's rules without
 * reading or compiling them each time. An entry is dropped when the user's push rules change: by the
 * push-rule service in this process, and through the notifier's account_data notifications (which a
 * push-rule change sends) when another process made the change.
 */
import { CompiledRuleset } from "../../protocol/push/evaluator.js";
import { buildRuleset } from "../../protocol/push/ruleset.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Executor } from "../../storage/db.js";
import type { PushRuleStore } from "../../storage/push-rule-store.js";
import { lruCache } from "../../lru.js";

export class PushRulesCache {
  private readonly compiled = lruCache<string, CompiledRuleset>(20_000);
  /** Bumped on every invalidation, so a read that raced a change is not cached. */
  private generation = 0;

  constructor(
    private readonly store: PushRuleStore,
    notifier: Notifier,
  ) {
    notifier.onNotification((notification) => {
      if (notification.stream !== "account_data") return;
      for (const userId of notification.userIds ?? []) this.invalidate(userId);
    });
  }

  /** Forgets a user's compiled rules (they changed). */
  invalidate(userId: string): void {
    this.generation++;
    this.compiled.delete(userId);
  }

  /** The compiled rules of each user, read through `executor` (the persist transaction) when not cached. */
  async rulesOf(executor: Executor, userIds: readonly string[]): Promise<Map<string, CompiledRuleset>> {
    const out = new Map<string, CompiledRuleset>();
    const missing: string[] = [];
    for (const userId of userIds) {
      const cached = this.compiled.get(userId);
      if (cached) out.set(userId, cached);
      else missing.push(userId);
    }
    if (missing.length === 0) return out;
    const generation = this.generation;
    const stored = await this.store.rulesOf(missing, executor);
    for (const [userId, { rules, settings }] of stored) {
      const ruleset = CompiledRuleset.compile(buildRuleset(userId, rules, settings));
      out.set(userId, ruleset);
      if (this.generation === generation) this.compiled.set(userId, ruleset);
    }
    return out;
  }
}
