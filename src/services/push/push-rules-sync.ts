/**
 * The user's push rules in /sync, as the `m.push_rules` global account data event (client-server API
 * "Push Rules"): on every initial or full-state sync, and on an incremental one when the rules changed
 * since the token's account_data position.
 */
import type { PushRuleStore } from "../../storage/push-rule-store.js";
import { eventMatchesFilter } from "../sync/filter.js";
import type { SyncContext, SyncContributor, SyncResponse } from "../sync/sync-types.js";
import type { PushRuleService } from "./push-rule-service.js";

export const PUSH_RULES_TYPE = "m.push_rules";

export function pushRulesSyncContributor(rules: PushRuleService, store: PushRuleStore): SyncContributor {
  return {
    async global(context: SyncContext, response: SyncResponse) {
      const filter = context.filter.account_data;
      // Account data events have no sender: only the type conditions of the filter apply.
      const typesOnly = filter ? { ...(filter.types ? { types: filter.types } : {}), ...(filter.not_types ? { not_types: filter.not_types } : {}) } : undefined;
      if (!eventMatchesFilter(typesOnly, { type: PUSH_RULES_TYPE, sender: "" })) return;
      const userId = context.requester.userId;
      const since = context.fullState ? undefined : context.since?.account_data;
      // Nothing was written between the token and now: no need to ask (most woken long-polls).
      if (since !== undefined && since === context.now.account_data) return;
      if (since !== undefined && !(await store.changedBetween(userId, since, context.now.account_data))) return;
      response.account_data.events.push({ type: PUSH_RULES_TYPE, content: { global: await rules.ruleset(userId) } });
    },
  };
}
