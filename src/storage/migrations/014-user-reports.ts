/**
 * Reports against users (client-server API "Reporting content", POST /users/{userId}/report). Event and
 * room reports live in `event_reports` (002); a user report names no room, so it has its own table.
 */
import type { Migration } from "./helpers.js";
import { autoId } from "./helpers.js";

export const userReportsMigration: Migration = {
  name: "014-user-reports",
  async up({ db, dialect }) {
    await autoId(db.schema.createTable("user_reports"), "id", dialect)
      .addColumn("target_user_id", "text", (c) => c.notNull())
      .addColumn("reporter", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("received_ts", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("user_reports_target").on("user_reports").column("target_user_id").execute();
  },
};
