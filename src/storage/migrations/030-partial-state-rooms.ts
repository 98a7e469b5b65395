/** Rooms joined with partial state (send_join with omit_members): the servers to send to and fetch the rest of the state from. */
import type { Migration } from "./helpers.js";

export const partialStateRoomsMigration: Migration = {
  name: "030-partial-state-rooms",
  async up({ db }) {
    await db.schema
      .createTable("partial_state_rooms")
      .addColumn("room_nid", "bigint", (c) => c.primaryKey())
      .addColumn("join_event_id", "text", (c) => c.notNull())
      .addColumn("servers", "text", (c) => c.notNull())
      .addColumn("joined_ts", "bigint", (c) => c.notNull())
      .execute();
  },
};
