/**
 * Uploads (client-server API "Content repository"): POST /upload, and the asynchronous pair POST
 * /create + PUT /upload/{serverName}/{mediaId}. The body is streamed into the media storage while it
 * is hashed (never held whole in memory), checked against the size limit while it streams and
 * against the user's quota before and after, then committed under its hash and named by a row.
 */
import type { Readable } from "node:stream";
import { MatrixError, limitExceeded } from "../../errors.js";
import type { Db } from "../../storage/db.js";
import { BlobTooLargeError, type MediaStorage, type PendingBlob } from "../../storage/media-storage.js";
import type { MediaContent, MediaStore } from "../../storage/media-store.js";
import type { Clock } from "../clock.js";
import type { BlobLocks } from "./blob-locks.js";
import { mxcUri, newMediaId } from "./media-ids.js";
import { mediaKey, type MediaService } from "./media-service.js";
import type { UploadQuota } from "./upload-quota.js";
import type { UploadWaiters } from "./upload-waiters.js";

export interface UploadInput {
  readonly body: Readable;
  /** The request's Content-Type header. */
  readonly contentType: string | undefined;
  /** The request's Content-Length, when it sent one (a chunked body has none). */
  readonly contentLength: number | undefined;
  /** The `filename` query parameter. */
  readonly fileName: string | undefined;
}

export interface UploadOptions {
  serverName: string;
  maxUploadSize: number;
  pendingExpiryMs: number;
  maxPendingPerUser: number;
  /** Media uploaded now is served on the authenticated endpoints only (the legacy ones are frozen). */
  authRequired: boolean;
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** Runs after content landed under an mxc:// URI (thumbnail pre-generation); must not throw. */
export type MediaUploadedHook = (serverName: string, mediaId: string) => void;

export class MediaUploadService {
  private readonly uploadedHooks: MediaUploadedHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly media: MediaService,
    private readonly locks: BlobLocks,
    private readonly waiters: UploadWaiters,
    private readonly quota: UploadQuota,
    private readonly clock: Clock,
    private readonly options: UploadOptions,
  ) {}

  /** Registers work to start once content landed; it runs in the background, after the answer. */
  onUploaded(hook: MediaUploadedHook): void {
    this.uploadedHooks.push(hook);
  }

  private uploaded(serverName: string, mediaId: string): void {
    for (const hook of this.uploadedHooks) hook(serverName, mediaId);
  }

  /** POST /upload: stores the content under a new media ID; returns its mxc:// URI. */
  async upload(userId: string, input: UploadInput): Promise<string> {
    const blob = await this.receive(userId, input);
    const mediaId = newMediaId();
    await this.name(blob, () =>
      this.db.transaction(async (tx) => {
        await this.store.insertUploaded(tx.db, { serverName: this.options.serverName, mediaId, userId, authRequired: this.options.authRequired, now: this.clock.now(), ...this.content(blob, input) });
        return true;
      }),
    );
    this.uploaded(this.options.serverName, mediaId);
    return mxcUri(this.options.serverName, mediaId);
  }

  /** POST /create: a new mxc:// URI whose content comes later, and when it expires unused. */
  async create(userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
    const now = this.clock.now();
    const pending = await this.store.pendingOf(userId, now);
    if (pending.count >= this.options.maxPendingPerUser) throw limitExceeded(Math.max(1, (pending.firstExpiry ?? now) - now));
    const mediaId = newMediaId();
    const expiresTs = now + this.options.pendingExpiryMs;
    await this.db.transaction((tx) =>
      this.store.insertPending(tx.db, { serverName: this.options.serverName, mediaId, userId, authRequired: this.options.authRequired, now, expiresTs }),
    );
    return { content_uri: mxcUri(this.options.serverName, mediaId), unused_expires_at: expiresTs };
  }

  /**
   * PUT /upload/{serverName}/{mediaId}: the content of a URI made by /create, checked (in Synapse's
   * order) before the body is read, and again when it is committed, where a concurrent upload to the
   * same URI may have won.
   */
  async uploadTo(userId: string, serverName: string, mediaId: string, input: UploadInput): Promise<void> {
    await this.checkPendingTarget(userId, serverName, mediaId);
    const blob = await this.receive(userId, input);
    const completed = await this.name(blob, () =>
      this.db.transaction(async (tx) => {
        const done = await this.store.completePending(tx.db, serverName, mediaId, userId, this.content(blob, input), this.clock.now());
        if (done) tx.onCommit(() => this.waiters.wake(mediaKey(serverName, mediaId)));
        return done;
      }),
    );
    if (!completed) {
      // Lost a race: say why as the checks before the body would have.
      await this.checkPendingTarget(userId, serverName, mediaId);
      throw new MatrixError(404, "M_NOT_FOUND", "Unknown media ID");
    }
    this.uploaded(serverName, mediaId);
  }

  private async checkPendingTarget(userId: string, serverName: string, mediaId: string): Promise<void> {
    const row = serverName === this.options.serverName ? await this.store.get(serverName, mediaId) : undefined;
    if (!row) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media ID");
    if (row.userId !== userId) throw new MatrixError(403, "M_FORBIDDEN", "Only the creator of the media ID can upload to it");
    if (!row.pending) throw new MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media ID already has content");
    if (row.unusedExpiresTs !== null && row.unusedExpiresTs <= this.clock.now()) throw new MatrixError(404, "M_NOT_FOUND", "Media ID has expired");
  }

  /** Streams the body into the storage with the size limit and the quota checked around it. */
  private async receive(userId: string, input: UploadInput): Promise<PendingBlob> {
    validateFileName(input.fileName);
    const max = this.options.maxUploadSize;
    // A declared length over the limit is refused before a byte of the body is read.
    if (input.contentLength !== undefined && input.contentLength > max) throw tooLarge(max);
    await this.quota.check(userId, input.contentLength ?? 0);
    let blob: PendingBlob;
    try {
      blob = await this.storage.receive(input.body, { maxBytes: max });
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw tooLarge(max);
      throw error;
    }
    try {
      // A chunked body had no declared length; and concurrent uploads of one user may have landed.
      await this.quota.check(userId, blob.size);
    } catch (error) {
      await blob.discard();
      throw error;
    }
    return blob;
  }

  /**
   * Commits the blob and runs `write` (which names it in a row) under the blob's lock; when `write`
   * names nothing or fails, the blob is removed again unless another row names it.
   */
  private async name(blob: PendingBlob, write: () => Promise<boolean>): Promise<boolean> {
    let named = false;
    try {
      named = await this.locks.run(blob.sha256, async () => {
        await blob.commit();
        return write();
      });
      return named;
    } finally {
      if (!named) await this.media.removeIfUnnamed(blob.sha256);
    }
  }

  private content(blob: PendingBlob, input: UploadInput): MediaContent {
    return { contentType: normaliseContentType(input.contentType), uploadName: input.fileName || null, size: blob.size, sha256: blob.sha256 };
  }
}

function tooLarge(max: number): MatrixError {
  return new MatrixError(413, "M_TOO_LARGE", `Cannot upload files larger than ${max} bytes`);
}

/**
 * The content type to store and serve back. The spec defaults a missing one to
 * application/octet-stream; one that could not be sent back as a header (control characters, non-ASCII)
 * or that is absurdly long gets the default too.
 */
export function normaliseContentType(header: string | undefined): string {
  const value = header?.trim() ?? "";
  if (value.length === 0 || value.length > 255 || !/^[\x20-\x7e]+$/.test(value) || !value.includes("/")) return DEFAULT_CONTENT_TYPE;
  return value;
}

/** A file name is served back in Content-Disposition: well-formed text without control characters. */
function validateFileName(fileName: string | undefined): void {
  if (fileName === undefined) return;
  // eslint-disable-next-line no-control-regex
  if (Buffer.byteLength(fileName) > 1024 || !fileName.isWellFormed() || /[\u0000-\u001f\u007f]/.test(fileName)) {
    throw new MatrixError(400, "M_INVALID_PARAM", "Invalid filename");
  }
}
