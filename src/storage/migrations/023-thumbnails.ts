/** Generated thumbnails and the URL preview cache (the media repository's derived data). */
import type { Migration } from "./helpers.js";

export const thumbnailsMigration: Migration = {
  name: "023-thumbnails",
  async up({ db }) {
    // The primary key serves both reads: one media's thumbnails (on request and on deletion) and one exact size.
    await db.schema
      .createTable("media_thumbnails")
      .addColumn("server_name", "text", (c) => c.notNull())
      .addColumn("media_id", "text", (c) => c.notNull())
      .addColumn("width", "integer", (c) => c.notNull())
      .addColumn("height", "integer", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("animated", "integer", (c) => c.notNull())
      .addColumn("content_type", "text", (c) => c.notNull())
      .addColumn("out_width", "integer", (c) => c.notNull())
      .addColumn("out_height", "integer", (c) => c.notNull())
      .addColumn("size", "bigint", (c) => c.notNull())
      .addColumn("file_name", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("media_thumbnails_pk", ["server_name", "media_id", "width", "height", "method", "animated"])
      .execute();

    await db.schema
      .createTable("url_previews")
      // URLs can be longer than an index entry may be (PostgreSQL: about 2.7 kB): the key is their SHA-256.
      .addColumn("url_hash", "text", (c) => c.notNull())
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("window_start", "bigint", (c) => c.notNull())
      .addColumn("fetched_ts", "bigint", (c) => c.notNull())
      .addColumn("og_json", "text", (c) => c.notNull())
      .addColumn("image_media_id", "text")
      .addPrimaryKeyConstraint("url_previews_pk", ["url_hash", "window_start"])
      .execute();
    // Expiry deletes by age.
    await db.schema.createIndex("url_previews_fetched").on("url_previews").column("fetched_ts").execute();
  },
};
