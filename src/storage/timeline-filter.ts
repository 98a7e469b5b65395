/**
 * The one rule of which stored events a timeline shows: rejected and soft-failed events never appear
 * (client-server API; soft failure per the server-server API "Soft failure"). Every query that lists
 * events for clients uses this condition.
 */
import type { ExpressionBuilder } from "kysely";
import type { Schema } from "./schema/index.js";

export function shownInTimeline(eb: ExpressionBuilder<Schema, "events">) {
  return eb.and([eb("rejected_reason", "is", null), eb("soft_failed", "=", 0)]);
}
