/**
 * Media metadata (client-server API "Content repository"): one row per mxc:// URI, naming the blob
 * that holds its bytes by SHA-256 (media-storage.ts). Rows of asynchronous uploads are `pending` until
 * their content arrives.
 */
import { sql } from "./kysely.js";
import type { Db, Executor } from "./db.js";
import type { MediaTable } from "./schema/media.js";

export interface MediaRecord {
  serverName: string;
  mediaId: string;
  userId: string | null;
  /** Null while pending. */
  contentType: string | null;
  uploadName: string | null;
  size: number | null;
  sha256: string | null;
  createdTs: number;
  lastAccessTs: number;
  quarantined: boolean;
  authRequired: boolean;
  pending: boolean;
  unusedExpiresTs: number | null;
}

/** What an upload fills in. */
export interface MediaContent {
  contentType: string;
  uploadName: string | null;
  size: number;
  sha256: string;
}

/** A deleted row: the blob it named may now be unnamed. */
export interface DeletedMediaRow {
  serverName: string;
  mediaId: string;
  sha256: string | null;
}

export type MediaOrder = "media_id" | "upload_name" | "created_ts" | "last_access_ts" | "size" | "content_type";

function toRecord(row: MediaTable): MediaRecord {
  return {
    serverName: row.server_name,
    mediaId: row.media_id,
    userId: row.user_id,
    contentType: row.content_type,
    uploadName: row.upload_name,
    size: row.size === null ? null : Number(row.size),
    sha256: row.sha256,
    createdTs: Number(row.created_ts),
    lastAccessTs: Number(row.last_access_ts),
    quarantined: Number(row.quarantined) === 1,
    authRequired: Number(row.auth_required) === 1,
    pending: Number(row.pending) === 1,
    unusedExpiresTs: row.unused_expires_ts === null ? null : Number(row.unused_expires_ts),
  };
}

/** The row of media whose content is stored (an upload, or a remote file fetched into the cache). */
function storedRow(media: { serverName: string; mediaId: string; userId: string | null; authRequired: boolean; now: number } & MediaContent) {
  return {
    server_name: media.serverName,
    media_id: media.mediaId,
    user_id: media.userId,
    content_type: media.contentType,
    upload_name: media.uploadName,
    size: media.size,
    sha256: media.sha256,
    created_ts: media.now,
    last_access_ts: media.now,
    quarantined: 0,
    auth_required: media.authRequired ? 1 : 0,
    pending: 0,
    unused_expires_ts: null,
  };
}

export class MediaStore {
  constructor(private readonly db: Db) {}

  async get(serverName: string, mediaId: string, executor: Executor = this.db.kysely): Promise<MediaRecord | undefined> {
    const row = await executor.selectFrom("media").selectAll().where("server_name", "=", serverName).where("media_id", "=", mediaId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** A finished upload. */
  async insertUploaded(executor: Executor, media: { serverName: string; mediaId: string; userId: string; authRequired: boolean; now: number } & MediaContent): Promise<void> {
    await executor
      .insertInto("media")
      .values(storedRow({ ...media }))
      .execute();
  }

  /**
   * Remote media fetched into the cache (user_id null: no local uploader). False when another process
   * cached the same URI first: its row stands.
   */
  async insertRemote(executor: Executor, media: { serverName: string; mediaId: string; authRequired: boolean; now: number } & MediaContent): Promise<boolean> {
    const result = await executor
      .insertInto("media")
      .values(storedRow({ ...media, userId: null }))
      .onConflict((oc) => oc.columns(["server_name", "media_id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** An mxc:// URI whose content comes later (POST /create). */
  async insertPending(executor: Executor, media: { serverName: string; mediaId: string; userId: string; authRequired: boolean; now: number; expiresTs: number }): Promise<void> {
    await executor
      .insertInto("media")
      .values({
        server_name: media.serverName,
        media_id: media.mediaId,
        user_id: media.userId,
        content_type: null,
        upload_name: null,
        size: null,
        sha256: null,
        created_ts: media.now,
        last_access_ts: media.now,
        quarantined: 0,
        auth_required: media.authRequired ? 1 : 0,
        pending: 1,
        unused_expires_ts: media.expiresTs,
      })
      .execute();
  }

  /**
   * Fills in a pending row if it is still pending, the user's, and unexpired; false otherwise (a
   * concurrent upload to the same URI won, or it expired meanwhile).
   */
  async completePending(executor: Executor, serverName: string, mediaId: string, userId: string, content: MediaContent, now: number): Promise<boolean> {
    const result = await executor
      .updateTable("media")
      .set({ content_type: content.contentType, upload_name: content.uploadName, size: content.size, sha256: content.sha256, pending: 0, unused_expires_ts: null, last_access_ts: now })
      .where("server_name", "=", serverName)
      .where("media_id", "=", mediaId)
      .where("user_id", "=", userId)
      .where("pending", "=", 1)
      .where("unused_expires_ts", ">", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The user's pending URIs that have not expired: how many, and when the first of them expires. */
  async pendingOf(userId: string, now: number): Promise<{ count: number; firstExpiry: number | null }> {
    const row = await this.db.kysely
      .selectFrom("media")
      .select((eb) => [eb.fn.countAll<number | string>().as("count"), eb.fn.min("unused_expires_ts").as("first")])
      .where("user_id", "=", userId)
      .where("pending", "=", 1)
      .where("unused_expires_ts", ">", now)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), firstExpiry: row.first === null ? null : Number(row.first) };
  }

  /** Bytes of the user's stored uploads, of those made since `sinceTs` when given. */
  async bytesUploadedBy(userId: string, sinceTs?: number): Promise<number> {
    let query = this.db.kysely
      .selectFrom("media")
      .select((eb) => eb.fn.sum<number | string | null>("size").as("total"))
      .where("user_id", "=", userId)
      .where("pending", "=", 0);
    if (sinceTs !== undefined) query = query.where("created_ts", ">=", sinceTs);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.total ?? 0);
  }

  /** Records a download; only moves the time forward. */
  async touch(serverName: string, mediaId: string, now: number): Promise<void> {
    await this.db.kysely
      .updateTable("media")
      .set({ last_access_ts: now })
      .where("server_name", "=", serverName)
      .where("media_id", "=", mediaId)
      .where("last_access_ts", "<", now)
      .execute();
  }

  /** Sets the last access time (tests and imports). */
  async setLastAccess(serverName: string, mediaId: string, ts: number): Promise<void> {
    await this.db.kysely.updateTable("media").set({ last_access_ts: ts }).where("server_name", "=", serverName).where("media_id", "=", mediaId).execute();
  }

  /** How many rows name the blob. */
  async countBySha256(sha256: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom("media")
      .select((eb) => eb.fn.countAll<number | string>().as("count"))
      .where("sha256", "=", sha256)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Deletes rows; returns those that existed. */
  async delete(executor: Executor, serverName: string, mediaIds: readonly string[]): Promise<DeletedMediaRow[]> {
    if (mediaIds.length === 0) return [];
    const rows = await executor
      .deleteFrom("media")
      .where("server_name", "=", serverName)
      .where("media_id", "in", [...mediaIds])
      .returning(["server_name", "media_id", "sha256"])
      .execute();
    return rows.map((row) => ({ serverName: row.server_name, mediaId: row.media_id, sha256: row.sha256 }));
  }

  /** One page of a user's media (admin API), pending uploads included. */
  async listByUser(userId: string, page: { limit: number; offset: number; orderBy: MediaOrder; direction: "asc" | "desc" }): Promise<MediaRecord[]> {
    const rows = await this.db.kysely
      .selectFrom("media")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy(page.orderBy, page.direction)
      // A stable order across pages when many rows share the sort key.
      .orderBy("media_id", "asc")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Up to `limit` IDs of uploaded, unquarantined media of `serverName` last accessed before
   * `beforeTs` and larger than `sizeGt` bytes; with `keepAvatars`, media that is a user's avatar
   * (profile or user directory) is left out.
   */
  async idsLastAccessedBefore(serverName: string, options: { beforeTs: number; sizeGt: number; keepAvatars: boolean; limit: number }): Promise<string[]> {
    let query = this.db.kysely
      .selectFrom("media")
      .select(["media_id"])
      .where("server_name", "=", serverName)
      .where("pending", "=", 0)
      .where("quarantined", "=", 0)
      .where("last_access_ts", "<", options.beforeTs)
      .where("size", ">", options.sizeGt);
    if (options.keepAvatars) {
      const uri = sql<string>`'mxc://' || media.server_name || '/' || media.media_id`;
      // Profile values are stored as JSON text: an avatar URL is the URI in double quotes.
      const asJson = sql<string>`'"' || ${uri} || '"'`;
      query = query
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("profile_fields").select(sql`1`.as("one")).where("field", "=", "avatar_url").whereRef("value", "=", asJson))),
        )
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom("user_directory").select(sql`1`.as("one")).whereRef("avatar_url", "=", uri))));
    }
    const rows = await query.orderBy("last_access_ts").limit(options.limit).execute();
    return rows.map((row) => row.media_id);
  }

  /**
   * Up to `limit` cached remote media (any server but `localServerName`) last accessed before
   * `beforeTs`, quarantined media left out (kept as evidence, as local media is).
   */
  async remoteLastAccessedBefore(localServerName: string, beforeTs: number, limit: number): Promise<{ serverName: string; mediaId: string }[]> {
    const rows = await this.db.kysely
      .selectFrom("media")
      .select(["server_name", "media_id"])
      .where("server_name", "!=", localServerName)
      .where("quarantined", "=", 0)
      .where("last_access_ts", "<", beforeTs)
      .orderBy("last_access_ts")
      .limit(limit)
      .execute();
    return rows.map((row) => ({ serverName: row.server_name, mediaId: row.media_id }));
  }

  /** Deletes pending rows that expired unused; returns how many. */
  async deleteExpiredPending(now: number): Promise<number> {
    const result = await this.db.kysely.deleteFrom("media").where("pending", "=", 1).where("unused_expires_ts", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
