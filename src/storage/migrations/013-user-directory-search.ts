/**
 * The user directory's search terms and the rooms whose members everyone may find. Fills both (and
 * `user_directory`, created empty by 003) from what the database already holds.
 */
import { sql, type Kysely } from "../kysely.js";
import type { Migration } from "./helpers.js";
import { directoryTerms } from "../user-directory-terms.js";

export const userDirectorySearchMigration: Migration = {
  name: "013-user-directory-search",
  async up({ db }) {
    await db.schema
      .createTable("user_directory_terms")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("term", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("user_directory_terms_pk", ["user_id", "term"])
      .execute();
    await db.schema.createIndex("user_directory_terms_term").on("user_directory_terms").column("term").execute();

    await db.schema
      .createTable("user_directory_public_rooms")
      .addColumn("room_nid", "bigint", (c) => c.primaryKey())
      .execute();

    await backfillPublicRooms(db);
    await backfillUsers(db);
  },
};

function contentOf(json: string): Record<string, unknown> {
  const parsed = JSON.parse(json) as { content?: unknown };
  return parsed.content && typeof parsed.content === "object" ? (parsed.content as Record<string, unknown>) : {};
}

async function backfillPublicRooms(db: Kysely<unknown>): Promise<void> {
  const rows = await sql<{ room_nid: number; event_type: string; json: string }>`
    SELECT cs.room_nid, sk.event_type, e.json
    FROM current_state cs
    JOIN state_keys sk ON sk.state_key_nid = cs.state_key_nid
    JOIN events e ON e.event_nid = cs.event_nid
    WHERE sk.state_key = '' AND sk.event_type IN ('m.room.join_rules', 'm.room.history_visibility')`.execute(db);
  const open = new Set<number>();
  for (const row of rows.rows) {
    const content = contentOf(row.json);
    if (row.event_type === "m.room.join_rules" && content["join_rule"] === "public") open.add(Number(row.room_nid));
    if (row.event_type === "m.room.history_visibility" && content["history_visibility"] === "world_readable") open.add(Number(row.room_nid));
  }
  for (const roomNid of open) await sql`INSERT INTO user_directory_public_rooms (room_nid) VALUES (${roomNid})`.execute(db);
}

async function backfillUsers(db: Kysely<unknown>): Promise<void> {
  // Local users by their profile, remote users by their latest join event (as the hook does later).
  const joined = await sql<{ user_id: string; is_local: number; json: string; stream_ordering: number }>`
    SELECT m.user_id, m.is_local, e.json, m.stream_ordering
    FROM room_memberships m JOIN events e ON e.event_nid = m.event_nid
    WHERE m.membership = 'join'
    ORDER BY m.stream_ordering`.execute(db);
  const users = new Map<string, { displayName: string | null; avatarUrl: string | null }>();
  for (const row of joined.rows) {
    if (row.is_local) {
      users.set(row.user_id, { displayName: null, avatarUrl: null });
      continue;
    }
    const content = contentOf(row.json);
    users.set(row.user_id, {
      displayName: typeof content["displayname"] === "string" ? content["displayname"] : null,
      avatarUrl: typeof content["avatar_url"] === "string" ? content["avatar_url"] : null,
    });
  }
  const profiles = await sql<{ user_id: string; field: string; value: string }>`
    SELECT user_id, field, value FROM profile_fields WHERE field IN ('displayname', 'avatar_url')`.execute(db);
  for (const row of profiles.rows) {
    const entry = users.get(row.user_id);
    if (!entry) continue;
    const value = JSON.parse(row.value) as unknown;
    if (typeof value !== "string") continue;
    if (row.field === "displayname") entry.displayName = value;
    else entry.avatarUrl = value;
  }
  for (const [userId, entry] of users) {
    await sql`DELETE FROM user_directory WHERE user_id = ${userId}`.execute(db);
    await sql`INSERT INTO user_directory (user_id, display_name, avatar_url) VALUES (${userId}, ${entry.displayName}, ${entry.avatarUrl})`.execute(db);
    for (const term of directoryTerms(userId, entry.displayName)) {
      await sql`INSERT INTO user_directory_terms (user_id, term) VALUES (${userId}, ${term})`.execute(db);
    }
  }
}
