/**
 * Media of other servers (server-server API "Content Repository"): fetched from the server its
 * mxc:// URI names at `/_matrix/federation/v1/media/download/{mediaId}` (a multipart answer, read as
 * a stream; a `Location` part is followed), falling back to the deprecated
 * `/_matrix/media/v3/download/{serverName}/{mediaId}?allow_remote=false` when that server answers
 * 404 M_UNRECOGNIZED, as the spec says. The bytes go into the content store like an upload's (one
 * file per distinct content) and a row under the origin's server name and media ID names them:
 * later requests are served from this cache until the retention policy removes it. Concurrent
 * requests for the same media share one download.
 *
 * Errors as Synapse answers them: the origin's 404 stays 404 M_NOT_FOUND, media over the size limit is
 * 502 M_TOO_LARGE, anything else (unreachable, timed out, a malformed answer, another error status)
 * 502 M_UNKNOWN "Failed to fetch remote media". An origin's 504 M_NOT_YET_UPLOADED is passed on (an
 * asynchronous upload the client may wait for again) where Synapse would say 502.
 */
import type { Readable } from "node:stream";
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import { BlobTooLargeError, type MediaStorage, type PendingBlob } from "../../storage/media-storage.js";
import type { MediaStore } from "../../storage/media-store.js";
import type { Clock } from "../clock.js";
import { FederationError } from "../federation/federation-client.js";
import { AnswerTooLargeError, type FederationStream, type FederationStreamOptions } from "../federation/federation-stream.js";
import type { BlobLocks } from "./blob-locks.js";
import { dispositionFileName } from "./content-disposition-name.js";
import { normaliseContentType } from "./media-upload-service.js";
import { mediaInfoOf } from "./media-service.js";
import type { MediaInfo } from "./media-types.js";
import { MultipartError, multipartBoundary, readMultipartMedia } from "./multipart-reader.js";
import { LocationFetchError, type LocationFetcher } from "./remote-media-location.js";
import type { RemoteMediaSource } from "./remote-media.js";

/** What the fetcher needs of federation: a signed GET whose answer streams (federation-stream.ts). */
export interface MediaDownloader {
  get(destination: string, path: string, options: FederationStreamOptions): Promise<FederationStream>;
}

export interface RemoteMediaOptions {
  /** Largest remote media cached, in bytes (`media.max_upload_size`, as Synapse limits it). */
  readonly maxBytes: number;
  /** A federation request's own timeout; the origin's wait for an asynchronous upload comes on top. */
  readonly requestTimeoutMs: number;
  /** Cached while the deprecated endpoints are frozen: served on the authenticated endpoints only. */
  readonly authRequired: boolean;
}

/** Room for the multipart head (the JSON part and the part headers) on top of the media's bytes. */
const HEAD_ALLOWANCE = 64 * 1024;

interface RemoteBody {
  readonly contentType: string | undefined;
  readonly fileName: string | null;
  readonly body: Readable;
}

const failed = (): MatrixError => new MatrixError(502, "M_UNKNOWN", "Failed to fetch remote media");

export class FederationRemoteMedia implements RemoteMediaSource {
  /** Downloads under way, so that concurrent requests for one media fetch it once. */
  private readonly inFlight = new Map<string, Promise<MediaInfo>>();

  constructor(
    private readonly db: Db,
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly locks: BlobLocks,
    private readonly downloader: MediaDownloader,
    private readonly locations: LocationFetcher,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RemoteMediaOptions,
  ) {}

  /** The media from the cache, or fetched now (once, however many ask at the same time). */
  fetch(serverName: string, mediaId: string, options: { timeoutMs: number }): Promise<MediaInfo> {
    // The download is shared: one requester going away must not abort it for the others (and the
    // cache is worth filling anyway), so no signal reaches it.
    const key = `${serverName}/${mediaId}`;
    let flight = this.inFlight.get(key);
    if (!flight) {
      flight = this.download(serverName, mediaId, options.timeoutMs).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, flight);
    }
    return flight;
  }

  private async download(serverName: string, mediaId: string, timeoutMs: number): Promise<MediaInfo> {
    // A download that finished just before this one started has cached it already.
    const cached = await this.store.get(serverName, mediaId);
    if (cached && !cached.pending && !cached.quarantined) return mediaInfoOf(cached);
    let remote: RemoteBody;
    try {
      remote = await this.open(serverName, mediaId, timeoutMs);
    } catch (error) {
      throw this.translate(error, serverName, mediaId);
    }
    let blob: PendingBlob;
    try {
      blob = await this.storage.receive(remote.body, { maxBytes: this.options.maxBytes });
    } catch (error) {
      throw this.translate(error, serverName, mediaId);
    } finally {
      // Ended or not: nothing more is read from this answer.
      remote.body.destroy();
    }
    const content = { contentType: normaliseContentType(remote.contentType), uploadName: remote.fileName, size: blob.size, sha256: blob.sha256 };
    const inserted = await this.locks.run(blob.sha256, async () => {
      await blob.commit();
      return this.db.transaction((tx) =>
        this.store.insertRemote(tx.db, { serverName, mediaId, authRequired: this.options.authRequired, now: this.clock.now(), ...content }),
      );
    });
    if (!inserted) await this.removeIfUnnamed(blob.sha256);
    // Another process may have cached it first: its row is the one served.
    const row = await this.store.get(serverName, mediaId);
    if (!row || row.pending || row.quarantined) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    this.log.info({ serverName, mediaId, size: content.size }, "cached remote media");
    return mediaInfoOf(row);
  }

  /** The answer's media part: federation endpoint first, the deprecated one on 404 M_UNRECOGNIZED. */
  private async open(serverName: string, mediaId: string, timeoutMs: number): Promise<RemoteBody> {
    const limits = { maxBytes: this.options.maxBytes + HEAD_ALLOWANCE, timeoutMs: this.options.requestTimeoutMs + timeoutMs };
    let answer: FederationStream;
    try {
      answer = await this.downloader.get(serverName, `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}?timeout_ms=${timeoutMs}`, limits);
    } catch (error) {
      if (!(error instanceof FederationError && error.status === 404 && error.errcode === "M_UNRECOGNIZED")) throw error;
      // A server from before v1.11: its deprecated endpoint, told not to fetch from anyone else.
      const legacyPath = `/_matrix/media/v3/download/${encodeURIComponent(serverName)}/${encodeURIComponent(mediaId)}?allow_remote=false&timeout_ms=${timeoutMs}`;
      const legacy = await this.downloader.get(serverName, legacyPath, limits);
      return { contentType: header(legacy.headers["content-type"]), fileName: dispositionFileName(header(legacy.headers["content-disposition"])), body: legacy.body };
    }
    const boundary = multipartBoundary(header(answer.headers["content-type"]));
    if (boundary === undefined) {
      answer.body.destroy();
      throw new MultipartError("the answer is not multipart/mixed");
    }
    const parts = await readMultipartMedia(answer.body, boundary);
    const location = parts.headers["location"];
    if (location !== undefined) {
      // The spec: a Location URL may be short-lived; the bytes behind it are what gets cached.
      parts.body.destroy();
      const fetched = await this.locations.get(location, { maxBytes: this.options.maxBytes, timeoutMs: limits.timeoutMs });
      return { contentType: header(fetched.headers["content-type"]), fileName: dispositionFileName(header(fetched.headers["content-disposition"])), body: fetched.body };
    }
    return { contentType: parts.headers["content-type"], fileName: dispositionFileName(parts.headers["content-disposition"]), body: parts.body };
  }

  /** The client's error for a failed fetch; the remote server's own text is never passed on. */
  private translate(error: unknown, serverName: string, mediaId: string): MatrixError {
    if (error instanceof AnswerTooLargeError || error instanceof BlobTooLargeError || (error instanceof LocationFetchError && error.tooLarge)) {
      return new MatrixError(502, "M_TOO_LARGE", `Remote media is larger than ${this.options.maxBytes} bytes`);
    }
    if (error instanceof FederationError && error.status === 404) return new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    if (error instanceof FederationError && error.status === 504 && error.errcode === "M_NOT_YET_UPLOADED") {
      return new MatrixError(504, "M_NOT_YET_UPLOADED", "Content has not yet been uploaded");
    }
    this.log.warn({ err: error, serverName, mediaId }, "fetching remote media failed");
    return failed();
  }

  private async removeIfUnnamed(sha256: string): Promise<void> {
    await this.locks.run(sha256, async () => {
      if ((await this.store.countBySha256(sha256)) === 0) await this.storage.delete(sha256);
    });
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
