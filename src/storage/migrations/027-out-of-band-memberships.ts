/**
 * Memberships of local users in rooms this server is not in (server-server API "Inviting to a room",
 * "Knocking upon a room", "Leaving Rooms"): a remote invite, a knock made through another server, or
 * the rejection/withdrawal that ends one. No room row exists for such a room, so these live on their own.
 */
import type { Migration } from "./helpers.js";

export const outOfBandMembershipsMigration: Migration = {
  name: "027-out-of-band-memberships",
  async up({ db }) {
    await db.schema
      .createTable("out_of_band_memberships")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("room_version", "text", (c) => c.notNull())
      .addColumn("membership", "text", (c) => c.notNull())
      .addColumn("event_id", "text", (c) => c.notNull())
      .addColumn("event_json", "text", (c) => c.notNull())
      .addColumn("stripped_state", "text", (c) => c.notNull())
      .addColumn("servers", "text", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("out_of_band_memberships_pk", ["user_id", "room_id"])
      .execute();
  },
};
