/**
 * The content repository wired in one place (context.ts hands over config and shared parts): files by
 * hash under media.store_path with metadata in the database, other servers' media fetched over
 * federation into the same store, uploads with quotas and pending uploads, the admin API, retention,
 * thumbnails (each configured size made once, deleted with their media) and URL previews.
 */
import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import { mediaStorePath } from "../../config/media-schema.js";
import { subsystemLogger, type Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import { FilesystemMediaStorage } from "../../storage/media-filesystem-storage.js";
import type { MediaStore } from "../../storage/media-store.js";
import { ThumbnailStore } from "../../storage/thumbnail-store.js";
import { UrlPreviewStore } from "../../storage/url-preview-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Clock } from "../clock.js";
import type { FederationClient } from "../federation/federation-client.js";
import { FederationStreams } from "../federation/federation-stream.js";
import { IpRangeFilter } from "../ip-range-filter.js";
import { BlobLocks } from "./blob-locks.js";
import { MediaAdminService } from "./media-admin-service.js";
import { MediaMaintenance } from "./media-maintenance.js";
import { MediaService } from "./media-service.js";
import { MediaUploadService } from "./media-upload-service.js";
import { FederationRemoteMedia } from "./remote-media-fetcher.js";
import { LocationFetcher } from "./remote-media-location.js";
import { ThumbnailFiles } from "./thumbnail-files.js";
import { ThumbnailMediaSource } from "./thumbnail-media-source.js";
import { ThumbnailService } from "./thumbnail-service.js";
import { UploadQuota } from "./upload-quota.js";
import { UploadWaiters } from "./upload-waiters.js";
import { PreviewFetcher } from "./url-preview-fetch.js";
import { UploadPreviewImageSink } from "./url-preview-media-sink.js";
import { UrlPreviewService } from "./url-preview-service.js";

export interface MediaDeps {
  config: Config;
  db: Db;
  mediaStore: MediaStore;
  users: UserStore;
  federationClient: FederationClient;
  /** The federation IP blocklist, also for the redirects of other servers' media. */
  federationIps: IpRangeFilter;
  clock: Clock;
  log: Logger;
}

export async function wireMedia(d: MediaDeps) {
  const { config, db, clock, log } = d;
  const mediaConfig = config.media;
  const mediaStorage = new FilesystemMediaStorage(join(mediaStorePath(mediaConfig, config.data_dir), "content"));
  await mediaStorage.init();
  const blobLocks = new BlobLocks();
  const uploadWaiters = new UploadWaiters();
  // Other servers' media: fetched over federation into the same content store, served from there after.
  const remoteMedia = new FederationRemoteMedia(db, d.mediaStore, mediaStorage, blobLocks, new FederationStreams(d.federationClient), new LocationFetcher({ verifyTls: config.federation.verify_tls, permits: (address) => d.federationIps.permits(address) }), clock, subsystemLogger(log, "media"), {
    maxBytes: mediaConfig.max_upload_size,
    requestTimeoutMs: config.federation.request_timeout_ms,
    authRequired: !mediaConfig.legacy_unauthenticated_downloads,
  });
  const media = new MediaService(db, d.mediaStore, mediaStorage, blobLocks, uploadWaiters, remoteMedia, clock, subsystemLogger(log, "media"), {
    serverName: config.server_name,
    maxUploadSize: mediaConfig.max_upload_size,
  });
  const quota = mediaConfig.user_quota;
  const uploadQuota = new UploadQuota(
    d.mediaStore,
    clock,
    quota && { maxBytes: quota.max_bytes, ...(quota.period_ms !== undefined ? { periodMs: quota.period_ms } : {}), ...(quota.admin_contact !== undefined ? { adminContact: quota.admin_contact } : {}) },
  );
  const mediaUploads = new MediaUploadService(db, d.mediaStore, mediaStorage, media, blobLocks, uploadWaiters, uploadQuota, clock, {
    serverName: config.server_name,
    maxUploadSize: mediaConfig.max_upload_size,
    pendingExpiryMs: mediaConfig.pending_upload_expiry_ms,
    maxPendingPerUser: mediaConfig.max_pending_uploads_per_user,
    authRequired: !mediaConfig.legacy_unauthenticated_downloads,
  });
  const mediaAdmin = new MediaAdminService(media, d.mediaStore, d.users, config.server_name);
  const mediaMaintenance = new MediaMaintenance(media, d.mediaStore, clock, subsystemLogger(log, "media"), {
    serverName: config.server_name,
    retentionDays: mediaConfig.local_retention_days,
    remoteRetentionDays: mediaConfig.remote_media_retention_days,
  });
  mediaMaintenance.start();

  // Thumbnails (each configured size made once, deleted with their media) and URL previews.
  const thumbnailConfig = mediaConfig.thumbnails;
  const thumbnailFiles = new ThumbnailFiles(join(mediaStorePath(mediaConfig, config.data_dir), "thumbnails"));
  const thumbnails = new ThumbnailService(db, new ThumbnailStore(), thumbnailFiles, new ThumbnailMediaSource(media), clock, { sizes: thumbnailConfig.sizes, maxPixels: thumbnailConfig.max_pixels }, subsystemLogger(log, "thumbnails"));
  media.onMediaDeleted(thumbnails.deletionHook());
  if (thumbnailConfig.pregenerate) mediaUploads.onUploaded(thumbnails.uploadHook());
  const previewConfig = mediaConfig.url_preview;
  const previewFetcher = new PreviewFetcher(new IpRangeFilter(previewConfig.ip_range_blocklist, previewConfig.ip_range_allowlist), {
    maxBytes: previewConfig.max_page_bytes,
    timeoutMs: previewConfig.timeout_ms,
    maxRedirects: previewConfig.max_redirects,
  });
  const urlPreviews = new UrlPreviewService(db, new UrlPreviewStore(), previewFetcher, new UploadPreviewImageSink(mediaUploads, media, config.server_name), clock, {
    enabled: previewConfig.enabled,
    cacheTtlMs: previewConfig.cache_ttl_ms,
    maxPixels: thumbnailConfig.max_pixels,
    serverName: config.server_name,
  }, subsystemLogger(log, "url-preview"));

  return { media, mediaUploads, mediaAdmin, mediaMaintenance, thumbnails, urlPreviews };
}
