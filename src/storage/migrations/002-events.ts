/** The room event graph, interned IDs, state snapshots, current state and memberships. */
import { autoId, type Migration } from "./helpers.js";

export const eventsMigration: Migration = {
  name: "002-events",
  async up({ db, dialect }) {
    await autoId(db.schema.createTable("rooms"), "room_nid", dialect)
      .addColumn("room_id", "text", (c) => c.notNull().unique())
      .addColumn("room_version", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("visibility", "text", (c) => c.notNull().defaultTo("private"))
      .addColumn("partial_state", "integer", (c) => c.notNull().defaultTo(0))
      .execute();

    await autoId(db.schema.createTable("event_ids"), "event_nid", dialect)
      .addColumn("event_id", "text", (c) => c.notNull().unique())
      .execute();

    await autoId(db.schema.createTable("state_keys"), "state_key_nid", dialect)
      .addColumn("event_type", "text", (c) => c.notNull())
      .addColumn("state_key", "text", (c) => c.notNull())
      .addUniqueConstraint("state_keys_unique", ["event_type", "state_key"])
      .execute();

    await db.schema
      .createTable("events")
      .addColumn("event_nid", "bigint", (c) => c.primaryKey())
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.unique())
      .addColumn("depth", "bigint", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("state_key_nid", "bigint")
      .addColumn("sender", "text", (c) => c.notNull())
      .addColumn("origin_server_ts", "bigint", (c) => c.notNull())
      .addColumn("received_ts", "bigint", (c) => c.notNull())
      .addColumn("json", "text", (c) => c.notNull())
      .addColumn("outlier", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("rejected_reason", "text")
      .addColumn("soft_failed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("state_snapshot_nid", "bigint")
      .addColumn("prev_state_event_nid", "bigint")
      .addColumn("redacted_by_nid", "bigint")
      .addColumn("relates_to_id", "text")
      .addColumn("rel_type", "text")
      .addColumn("thread_id", "text")
      .execute();
    // /messages walks (depth, stream_ordering) within a room; sync reads stream_ordering within a room.
    await db.schema.createIndex("events_room_topological").on("events").columns(["room_nid", "depth", "stream_ordering"]).execute();
    await db.schema.createIndex("events_room_stream").on("events").columns(["room_nid", "stream_ordering"]).execute();
    await db.schema.createIndex("events_relations").on("events").columns(["relates_to_id", "rel_type"]).execute();
    await db.schema.createIndex("events_threads").on("events").columns(["room_nid", "thread_id", "stream_ordering"]).execute();
    await db.schema.createIndex("events_room_ts").on("events").columns(["room_nid", "origin_server_ts"]).execute();

    await db.schema
      .createTable("event_edges")
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addColumn("prev_event_nid", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("event_edges_pk", ["event_nid", "prev_event_nid"])
      .execute();
    await db.schema.createIndex("event_edges_prev").on("event_edges").column("prev_event_nid").execute();

    await db.schema
      .createTable("event_auth_edges")
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addColumn("auth_event_nid", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("event_auth_edges_pk", ["event_nid", "auth_event_nid"])
      .execute();

    for (const table of ["forward_extremities", "backward_extremities"]) {
      await db.schema
        .createTable(table)
        .addColumn("room_nid", "bigint", (c) => c.notNull())
        .addColumn("event_nid", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["room_nid", "event_nid"])
        .execute();
    }

    await autoId(db.schema.createTable("state_snapshots"), "snapshot_nid", dialect)
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("parent_nid", "bigint")
      .addColumn("seq", "bigint", (c) => c.notNull())
      .execute();

    // Redactions whose target may not have arrived yet; applied when it does.
    await db.schema
      .createTable("redactions")
      .addColumn("redaction_nid", "bigint", (c) => c.primaryKey())
      .addColumn("redacts_event_id", "text", (c) => c.notNull())
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("redactions_target").on("redactions").column("redacts_event_id").execute();

    await db.schema
      .createTable("state_snapshot_entries")
      .addColumn("snapshot_nid", "bigint", (c) => c.notNull())
      .addColumn("state_key_nid", "bigint", (c) => c.notNull())
      .addColumn("event_nid", "bigint")
      .addPrimaryKeyConstraint("state_snapshot_entries_pk", ["snapshot_nid", "state_key_nid"])
      .execute();

    await db.schema
      .createTable("current_state")
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("state_key_nid", "bigint", (c) => c.notNull())
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("current_state_pk", ["room_nid", "state_key_nid"])
      .execute();

    await db.schema
      .createTable("room_memberships")
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("membership", "text", (c) => c.notNull())
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("sender", "text", (c) => c.notNull())
      .addColumn("is_local", "integer", (c) => c.notNull())
      .addColumn("forgotten", "integer", (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint("room_memberships_pk", ["room_nid", "user_id"])
      .execute();
    await db.schema.createIndex("room_memberships_user").on("room_memberships").columns(["user_id", "membership"]).execute();

    await db.schema
      .createTable("state_deltas")
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("state_key_nid", "bigint", (c) => c.notNull())
      .addColumn("event_nid", "bigint")
      .addColumn("prev_event_nid", "bigint")
      .execute();
    await db.schema.createIndex("state_deltas_room_stream").on("state_deltas").columns(["room_nid", "stream_ordering"]).execute();
    await db.schema.createIndex("state_deltas_stream").on("state_deltas").column("stream_ordering").execute();

    await db.schema
      .createTable("event_txn_ids")
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("txn_id", "text", (c) => c.notNull())
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("event_txn_ids_pk", ["room_nid", "user_id", "device_id", "txn_id"])
      .execute();
    await db.schema.createIndex("event_txn_ids_event").on("event_txn_ids").column("event_nid").execute();

    await db.schema
      .createTable("room_aliases")
      .addColumn("alias", "text", (c) => c.primaryKey())
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("creator", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("room_aliases_room").on("room_aliases").column("room_id").execute();

    await autoId(db.schema.createTable("event_reports"), "id", dialect)
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("event_id", "text")
      .addColumn("reporter", "text", (c) => c.notNull())
      .addColumn("reported_user", "text")
      .addColumn("reason", "text")
      .addColumn("score", "integer")
      .addColumn("received_ts", "bigint", (c) => c.notNull())
      .execute();
  },
};
