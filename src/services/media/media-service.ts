/**
 * The content repository's read side and deletion (client-server API "Content repository"): finds
 * media for a download (waiting for asynchronous uploads, refusing frozen media on the deprecated
 * endpoints), opens its bytes, and deletes media with its file and whatever hooks registered
 * (thumbnails). Uploads are media-upload-service.ts.
 */
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import { BlobMissingError, type ByteRange, type MediaStorage } from "../../storage/media-storage.js";
import type { MediaRecord, MediaStore } from "../../storage/media-store.js";
import type { Clock } from "../clock.js";
import type { BlobLocks } from "./blob-locks.js";
import { isValidMxcParts } from "./media-ids.js";
import type { DeletedMedia, MediaDeletedHook, MediaInfo } from "./media-types.js";
import type { RemoteMediaSource } from "./remote-media.js";
import type { UploadWaiters } from "./upload-waiters.js";
import type { Readable } from "node:stream";

/** The spec's default for `timeout_ms`. */
export const DEFAULT_DOWNLOAD_WAIT_MS = 20_000;
/** The spec asks for a maximum; a minute is as long as any client's own timeout. */
export const MAX_DOWNLOAD_WAIT_MS = 60_000;
/** A waiting download re-reads the row at least this often (an upload finished by another process). */
const RECHECK_MS = 5_000;
/** Downloads update last_access_ts at most this often per media: retention counts in days. */
const ACCESS_RESOLUTION_MS = 10 * 60_000;
/** Cached remote media deleted per round of a purge. */
const PURGE_BATCH = 500;

export interface ResolveOptions {
  /** How long to wait for an asynchronous upload that has not landed yet (`timeout_ms`). */
  timeoutMs?: number;
  /** The request came to a deprecated unauthenticated endpoint: frozen media is not found there. */
  legacy?: boolean;
  /** `allow_remote=false` on the deprecated endpoints. */
  allowRemote?: boolean;
  signal?: AbortSignal;
}

export const mediaKey = (serverName: string, mediaId: string): string => `${serverName}/${mediaId}`;

export class MediaService {
  private readonly deletedHooks: MediaDeletedHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly locks: BlobLocks,
    private readonly waiters: UploadWaiters,
    private readonly remote: RemoteMediaSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: { serverName: string; maxUploadSize: number },
  ) {}

  /** What GET /media/config announces. */
  uploadConfig(): { "m.upload.size": number } {
    return { "m.upload.size": this.options.maxUploadSize };
  }

  /**
   * The media an mxc:// URI names, ready to serve: 404 M_NOT_FOUND when unknown, expired, quarantined,
   * frozen for the legacy endpoints or remote; 504 M_NOT_YET_UPLOADED when an asynchronous upload did
   * not land within the timeout. Counts as an access for the retention policy.
   */
  async resolve(serverName: string, mediaId: string, options: ResolveOptions = {}): Promise<MediaInfo> {
    if (!isValidMxcParts(serverName, mediaId)) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    const timeoutMs = Math.min(options.timeoutMs ?? DEFAULT_DOWNLOAD_WAIT_MS, MAX_DOWNLOAD_WAIT_MS);
    if (serverName !== this.options.serverName) {
      if (options.allowRemote === false) throw new MatrixError(404, "M_NOT_FOUND", "Remote media not requested");
      return this.resolveRemote(serverName, mediaId, timeoutMs, options);
    }
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const subscription = this.waiters.subscribe(mediaKey(serverName, mediaId));
      try {
        const row = await this.store.get(serverName, mediaId);
        const now = this.clock.now();
        if (!row || row.quarantined) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
        if (options.legacy && row.authRequired) {
          throw new MatrixError(404, "M_NOT_FOUND", "This media is only served at /_matrix/client/v1/media/download");
        }
        if (!row.pending) {
          if (now - row.lastAccessTs >= ACCESS_RESOLUTION_MS) await this.store.touch(serverName, mediaId, now);
          return mediaInfoOf(row);
        }
        if (row.unusedExpiresTs !== null && row.unusedExpiresTs <= now) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
        const remaining = deadline - now;
        if (remaining <= 0 || options.signal?.aborted) throw new MatrixError(504, "M_NOT_YET_UPLOADED", "Content has not yet been uploaded");
        await subscription.wait(Math.min(remaining, RECHECK_MS), options.signal);
      } finally {
        subscription.cancel();
      }
    }
  }

  /**
   * Remote media: from the cache when it is there (an access, for the remote retention), else fetched
   * from its server into the cache. Frozen for the deprecated endpoints as local media is.
   */
  private async resolveRemote(serverName: string, mediaId: string, timeoutMs: number, options: ResolveOptions): Promise<MediaInfo> {
    const row = await this.store.get(serverName, mediaId);
    if (row?.quarantined) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    let media: MediaInfo;
    let authRequired: boolean;
    if (row && !row.pending) {
      const now = this.clock.now();
      if (now - row.lastAccessTs >= ACCESS_RESOLUTION_MS) await this.store.touch(serverName, mediaId, now);
      media = mediaInfoOf(row);
      authRequired = row.authRequired;
    } else {
      media = await this.remote.fetch(serverName, mediaId, { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      authRequired = (await this.store.get(serverName, mediaId))?.authRequired ?? false;
    }
    if (options.legacy && authRequired) throw new MatrixError(404, "M_NOT_FOUND", "This media is only served at /_matrix/client/v1/media/download");
    return media;
  }

  /** The bytes of resolved media, all or one range (inclusive), as a stream from the storage. */
  async openContent(media: MediaInfo, range?: ByteRange): Promise<Readable> {
    try {
      return await this.storage.read(media.sha256, range);
    } catch (error) {
      if (!(error instanceof BlobMissingError)) throw error;
      this.log.error({ serverName: media.serverName, mediaId: media.mediaId, sha256: media.sha256 }, "media file missing from the media store");
      throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    }
  }

  /** The file that holds the media's bytes when the storage keeps local files (for image decoders). */
  localPath(media: MediaInfo): string | undefined {
    return this.storage.localPath(media.sha256);
  }

  /** Registers work to do after media is deleted (thumbnails of the media go with it). */
  onMediaDeleted(hook: MediaDeletedHook): void {
    this.deletedHooks.push(hook);
  }

  /**
   * Deletes media rows, then each file no other row names, then runs the deletion hooks. Returns what
   * existed and was deleted.
   */
  async deleteMedia(serverName: string, mediaIds: readonly string[]): Promise<DeletedMedia[]> {
    const rows = await this.db.transaction((tx) => this.store.delete(tx.db, serverName, mediaIds));
    const hashes = new Set(rows.flatMap((row) => (row.sha256 === null ? [] : [row.sha256])));
    for (const sha256 of hashes) await this.removeIfUnnamed(sha256);
    const deleted = rows.map((row) => ({ serverName: row.serverName, mediaId: row.mediaId }));
    if (deleted.length === 0) return deleted;
    for (const hook of this.deletedHooks) {
      try {
        await hook(deleted);
      } catch (error) {
        this.log.error({ err: error }, "a media deletion hook failed");
      }
    }
    return deleted;
  }

  /**
   * Deletes cached remote media last accessed before `beforeTs` (with its files and thumbnails);
   * returns how many. The retention job and Synapse's purge_media_cache admin API use it.
   */
  async purgeRemoteCache(beforeTs: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.store.remoteLastAccessedBefore(this.options.serverName, beforeTs, PURGE_BATCH);
      if (batch.length === 0) return deleted;
      let gone = 0;
      const byServer = new Map<string, string[]>();
      for (const media of batch) byServer.set(media.serverName, [...(byServer.get(media.serverName) ?? []), media.mediaId]);
      for (const [serverName, mediaIds] of byServer) gone += (await this.deleteMedia(serverName, mediaIds)).length;
      deleted += gone;
      // Rows another process deleted meanwhile: do not loop on them.
      if (gone === 0) return deleted;
    }
  }

  /** Removes the blob when no row names it any more (also after an upload that was refused late). */
  async removeIfUnnamed(sha256: string): Promise<void> {
    await this.locks.run(sha256, async () => {
      if ((await this.store.countBySha256(sha256)) === 0) await this.storage.delete(sha256);
    });
  }
}

/** What a (non-pending) row serves. */
export function mediaInfoOf(row: MediaRecord): MediaInfo {
  return {
    serverName: row.serverName,
    mediaId: row.mediaId,
    userId: row.userId,
    contentType: row.contentType ?? "application/octet-stream",
    uploadName: row.uploadName,
    size: row.size ?? 0,
    sha256: row.sha256 ?? "",
    createdTs: row.createdTs,
  };
}
