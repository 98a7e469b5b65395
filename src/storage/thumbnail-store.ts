/**
 * Rows of generated thumbnails. The thumbnail service writes the file first and the row after it, so a
 * row always names a file that was complete when it was written; the row goes before the file on deletion.
 */
import type { MediaThumbnailsTable } from "./schema/thumbnails.js";
import type { Executor } from "./db.js";

export interface ThumbnailKey {
  serverName: string;
  mediaId: string;
  width: number;
  height: number;
  method: "crop" | "scale";
  animated: boolean;
}

export interface ThumbnailRecord extends ThumbnailKey {
  contentType: string;
  outWidth: number;
  outHeight: number;
  size: number;
  fileName: string;
  createdTs: number;
}

type Row = MediaThumbnailsTable;

function toRecord(row: Row): ThumbnailRecord {
  return {
    serverName: row.server_name,
    mediaId: row.media_id,
    width: Number(row.width),
    height: Number(row.height),
    method: row.method === "crop" ? "crop" : "scale",
    animated: Number(row.animated) === 1,
    contentType: row.content_type,
    outWidth: Number(row.out_width),
    outHeight: Number(row.out_height),
    size: Number(row.size),
    fileName: row.file_name,
    createdTs: Number(row.created_ts),
  };
}

export class ThumbnailStore {
  /** The thumbnail made for exactly this size, method and animation, if any. */
  async get(executor: Executor, key: ThumbnailKey): Promise<ThumbnailRecord | undefined> {
    const row = await executor
      .selectFrom("media_thumbnails")
      .selectAll()
      .where("server_name", "=", key.serverName)
      .where("media_id", "=", key.mediaId)
      .where("width", "=", key.width)
      .where("height", "=", key.height)
      .where("method", "=", key.method)
      .where("animated", "=", key.animated ? 1 : 0)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Every thumbnail of one media. */
  async list(executor: Executor, serverName: string, mediaId: string): Promise<ThumbnailRecord[]> {
    const rows = await executor.selectFrom("media_thumbnails").selectAll().where("server_name", "=", serverName).where("media_id", "=", mediaId).execute();
    return rows.map(toRecord);
  }

  /** Records a thumbnail; a concurrent writer of the same one (another process) wins silently. */
  async insert(executor: Executor, record: ThumbnailRecord): Promise<void> {
    await executor
      .insertInto("media_thumbnails")
      .values({
        server_name: record.serverName,
        media_id: record.mediaId,
        width: record.width,
        height: record.height,
        method: record.method,
        animated: record.animated ? 1 : 0,
        content_type: record.contentType,
        out_width: record.outWidth,
        out_height: record.outHeight,
        size: record.size,
        file_name: record.fileName,
        created_ts: record.createdTs,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Forgets one thumbnail (its file went missing). */
  async delete(executor: Executor, key: ThumbnailKey): Promise<void> {
    await executor
      .deleteFrom("media_thumbnails")
      .where("server_name", "=", key.serverName)
      .where("media_id", "=", key.mediaId)
      .where("width", "=", key.width)
      .where("height", "=", key.height)
      .where("method", "=", key.method)
      .where("animated", "=", key.animated ? 1 : 0)
      .execute();
  }

  /** Forgets every thumbnail of one media; returns their file names. */
  async deleteAll(executor: Executor, serverName: string, mediaId: string): Promise<string[]> {
    const rows = await executor
      .deleteFrom("media_thumbnails")
      .where("server_name", "=", serverName)
      .where("media_id", "=", mediaId)
      .returning("file_name")
      .execute();
    return rows.map((row) => row.file_name);
  }
}
