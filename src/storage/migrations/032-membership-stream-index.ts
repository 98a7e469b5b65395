/**
 * Memberships by the position of their event: an incremental /sync asks which memberships changed
 * between two positions (device lists: who joined or left a room shared with the viewer). Without
 * this index every member of every room of the viewer was read to answer it.
 */
import type { Migration } from "./helpers.js";

export const membershipStreamIndexMigration: Migration = {
  name: "032-membership-stream-index",
  async up({ db }) {
    await db.schema.createIndex("room_memberships_stream").on("room_memberships").column("stream_ordering").execute();
  },
};
