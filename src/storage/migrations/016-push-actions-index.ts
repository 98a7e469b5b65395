/**
 * Push actions keep one index by user: (user_id, room_nid, stream_ordering) from 003. The second one
 * (user_id, stream_ordering) that 011 added for /notifications cost a scattered index write per
 * notified member on every send (each member's entries sit on their own pages), which the send path
 * measured as the largest part of its commit in a 50-member room; /notifications reads the user's
 * entries through the remaining index instead.
 */
import { sql } from "../kysely.js";
import type { Migration } from "./helpers.js";

export const pushActionsIndexMigration: Migration = {
  name: "016-push-actions-index",
  async up({ db }) {
    await sql`DROP INDEX IF EXISTS event_push_actions_user_stream`.execute(db);
  },
};
