/**
 * Thumbnails of media (client-server API "Thumbnails"): only the configured sizes are ever made, each
 * once, written to a file under the thumbnail root and recorded in the database; a request gets the
 * smallest configured size at least as large as it asked for. Originals smaller than the request are
 * served as they are, as the spec asks.
 *
 * Media that cannot be thumbnailed (not a JPEG, PNG, GIF or WebP, or undecodable) is answered with
 * 400 M_UNKNOWN, the spec's example and what Synapse answers ("Cannot find any thumbnails for the
 * requested media", or "Failed to generate thumbnail" with dynamic thumbnails): clients then show a
 * file icon. Images over the pixel limit get the spec's 413 M_TOO_LARGE.
 */
import type { Logger } from "../../logger.js";
import { MatrixError } from "../../errors.js";
import type { Db } from "../../storage/db.js";
import type { ThumbnailKey, ThumbnailStore } from "../../storage/thumbnail-store.js";
import type { Clock } from "../clock.js";
import { originalServable } from "./thumbnail-format.js";
import type { ThumbnailFiles } from "./thumbnail-files.js";
import { ConcurrencyLimiter } from "../concurrency-limiter.js";
import { animationFits, probeImage, renderThumbnail, type ImageProbe } from "./thumbnail-render.js";
import { chooseThumbnailSize, fitsWithin, largestThumbnailSize, thumbnailDimensions, type ThumbnailMethod, type ThumbnailSize } from "./thumbnail-sizes.js";
import type { MediaFile, MediaSource, ThumbnailBody } from "./thumbnail-source.js";
import type { MediaDeletedHook } from "./media-types.js";
import type { MediaUploadedHook } from "./media-upload-service.js";
import { lruCache } from "../../lru.js";

export interface ThumbnailOptions {
  readonly sizes: readonly ThumbnailSize[];
  readonly maxPixels: number;
}

export interface ThumbnailRequest {
  readonly serverName: string;
  readonly mediaId: string;
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
  /** Spec `animated`: true asks for animation; false or absent forbids it. */
  readonly animated: boolean;
  readonly timeoutMs?: number | undefined;
  readonly legacy: boolean;
  readonly allowRemote?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

const cannotThumbnail = (): MatrixError => new MatrixError(400, "M_UNKNOWN", "Cannot generate thumbnails for the requested content");
const EXTENSIONS: Readonly<Record<string, string>> = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" };

export class ThumbnailService {
  /** Headers of recently thumbnailed media: a cached thumbnail is then served without reading the image again. */
  private readonly probes = lruCache<string, ImageProbe | "none">(2000);
  /** Thumbnails being made, so that concurrent requests for the same one make it once. */
  private readonly inFlight = new Map<string, Promise<ThumbnailBody>>();
  // Decoding runs on libuv's thread pool, which file reads and DNS lookups share: a burst of thumbnail
  // requests must not take all of its threads, nor hold many decoded images in memory at once.
  private readonly limiter = new ConcurrencyLimiter(2);

  constructor(
    private readonly db: Db,
    private readonly store: ThumbnailStore,
    private readonly files: ThumbnailFiles,
    private readonly source: MediaSource,
    private readonly clock: Clock,
    private readonly options: ThumbnailOptions,
    private readonly log: Logger,
  ) {}

  /** The thumbnail (or original) that answers a request. */
  async thumbnail(request: ThumbnailRequest): Promise<ThumbnailBody> {
    const media = await this.source.open(request.serverName, request.mediaId, request);
    const probe = await this.probe(request.serverName, request.mediaId, media);
    const animated = request.animated && animationFits(probe, this.options.maxPixels);
    // An original that is animated may only stand in for an animated thumbnail (spec: animated=false
    // MUST NOT return animation).
    const originalOk = originalServable(probe.format, media.contentType) && (probe.pages === 1 || animated);
    const box: ThumbnailSize = { width: request.width, height: request.height, method: request.method };
    if (originalOk && fitsWithin(probe, box)) return original(media);
    let size = chooseThumbnailSize(this.options.sizes, probe, box);
    if (!size) {
      // No configured size is as large as asked: the spec forbids a smaller thumbnail, so the original
      // when it can be served, else the largest size (what Synapse always does).
      if (originalOk) return original(media);
      size = largestThumbnailSize(this.options.sizes, probe, request.method);
    }
    return this.sized({ serverName: request.serverName, mediaId: request.mediaId, width: size.width, height: size.height, method: size.method, animated }, media, probe);
  }

  /** Makes every configured (still) size of a media now, for `media.thumbnails.pregenerate`. */
  async pregenerate(serverName: string, mediaId: string): Promise<void> {
    const media = await this.source.open(serverName, mediaId, { timeoutMs: 0, legacy: false });
    let probe: ImageProbe;
    try {
      probe = await this.probe(serverName, mediaId, media);
    } catch (error) {
      if (error instanceof MatrixError) return;
      throw error;
    }
    for (const size of this.options.sizes) {
      await this.sized({ serverName, mediaId, ...size, animated: false }, media, probe).catch((error: unknown) => {
        this.log.warn({ err: error, serverName, mediaId }, "pre-generating a thumbnail failed");
      });
    }
  }

  /** The upload service's onUploaded hook for `pregenerate`: the sizes are made in the background. */
  uploadHook(): MediaUploadedHook {
    return (serverName, mediaId) => {
      this.pregenerate(serverName, mediaId).catch((error: unknown) => this.log.warn({ err: error, serverName, mediaId }, "pre-generating thumbnails failed"));
    };
  }

  /** The media service's onMediaDeleted hook: thumbnails go with their media. */
  deletionHook(): MediaDeletedHook {
    return async (deleted) => {
      for (const media of deleted) await this.mediaDeleted(media.serverName, media.mediaId);
    };
  }

  /** Deletes every thumbnail of a media. */
  async mediaDeleted(serverName: string, mediaId: string): Promise<void> {
    this.probes.delete(`${serverName}/${mediaId}`);
    // A thumbnail being made now would otherwise land after the deletion, a file and row of nothing.
    const prefix = `${serverName}/${mediaId} `;
    await Promise.allSettled([...this.inFlight].filter(([key]) => key.startsWith(prefix)).map(([, flight]) => flight));
    await this.store.deleteAll(this.db.kysely, serverName, mediaId);
    await this.files.removeMedia(serverName, mediaId);
  }

  private async probe(serverName: string, mediaId: string, media: MediaFile): Promise<ImageProbe> {
    const cacheKey = `${serverName}/${mediaId}`;
    let probe = this.probes.get(cacheKey);
    if (probe === undefined) {
      probe = (await probeImage(media.path, this.options.maxPixels)) ?? "none";
      this.probes.set(cacheKey, probe);
    }
    if (probe === "none") throw cannotThumbnail();
    return probe;
  }

  /** One configured size: from its file when made before, else made now (once, however many ask). */
  private async sized(key: ThumbnailKey, media: MediaFile, probe: ImageProbe): Promise<ThumbnailBody> {
    const stored = await this.store.get(this.db.kysely, key);
    if (stored) {
      // Thumbnails are small (the largest default size is 800x600): read whole rather than streamed.
      const data = await this.files.read(stored.fileName);
      if (data) return { kind: "bytes", data, contentType: stored.contentType };
      // The file is gone (a restored backup without thumbnails, a manual cleanup): make it again.
      await this.store.delete(this.db.kysely, key);
    }
    const flightKey = `${key.serverName}/${key.mediaId} ${variantName(key)}`;
    let flight = this.inFlight.get(flightKey);
    if (!flight) {
      flight = this.limiter.run(() => this.generate(key, media, probe)).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    }
    return flight;
  }

  private async generate(key: ThumbnailKey, media: MediaFile, probe: ImageProbe): Promise<ThumbnailBody> {
    const dims = thumbnailDimensions(probe, key);
    let rendered;
    try {
      rendered = await renderThumbnail(media.path, probe, dims, key.method, key.animated, this.options.maxPixels);
    } catch (error) {
      if (error instanceof MatrixError) throw error;
      this.log.info({ err: error, serverName: key.serverName, mediaId: key.mediaId }, "thumbnail could not be made");
      throw cannotThumbnail();
    }
    const fileName = this.files.fileName(key.serverName, key.mediaId, variantName(key), EXTENSIONS[rendered.contentType] ?? "bin");
    await this.files.write(fileName, rendered.data);
    await this.store.insert(this.db.kysely, {
      ...key,
      contentType: rendered.contentType,
      outWidth: rendered.width,
      outHeight: rendered.height,
      size: rendered.data.length,
      fileName,
      createdTs: this.clock.now(),
    });
    return { kind: "bytes", data: rendered.data, contentType: rendered.contentType };
  }
}

async function original(media: MediaFile): Promise<ThumbnailBody> {
  return { kind: "stream", stream: await media.open(), size: media.size, contentType: media.contentType };
}

/** One thumbnail of a media, in file names and in-flight keys: `320x240-scale`, `96x96-crop-animated`. */
function variantName(key: ThumbnailKey): string {
  return `${key.width}x${key.height}-${key.method}${key.animated ? "-animated" : ""}`;
}
