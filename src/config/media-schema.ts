/**
 * `media`: the content repository (uploads, downloads, quotas and retention). Documented in
 * docs/config.md ("Media"). Thumbnails and URL previews add their own keys to this section.
 */
import { z } from "zod";
import { DEFAULT_THUMBNAIL_CONFIG, thumbnailConfigSchema } from "./thumbnail-schema.js";
import { DEFAULT_URL_PREVIEW_CONFIG, urlPreviewConfigSchema } from "./url-preview-schema.js";

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

const userQuotaSchema = z
  .object({
    /** Most bytes of uploads a user may have stored (within `period_ms` when set). */
    max_bytes: z.number().int().positive(),
    /** Count only uploads of this last period (a rolling window); unset: everything still stored. */
    period_ms: z.number().int().positive().optional(),
    /** The `admin_contact` of the quota error (a mailto: or https: URI). */
    admin_contact: z.string().url().optional(),
  })
  .strict();

export const mediaConfigSchema = z
  .object({
    /** Largest upload accepted, in bytes (announced as m.upload.size). */
    max_upload_size: z.number().int().positive().default(50 * MIB),
    /** Directory of the media files; unset: `<data_dir>/media`. */
    store_path: z.string().min(1).optional(),
    /** Per-user limit on stored uploads; unset: none. */
    user_quota: userQuotaSchema.optional(),
    /** Delete local media nobody downloaded for this many days (a periodic job); unset: keep forever. */
    local_retention_days: z.number().positive().optional(),
    /**
     * Delete cached copies of other servers' media nobody accessed for this many days (Synapse's
     * media_retention.remote_media_lifetime); the origin still has it, a later request fetches it again.
     */
    remote_media_retention_days: z.number().positive().default(90),
    /** How long an mxc:// URI made by POST /_matrix/media/v1/create waits for its content. */
    pending_upload_expiry_ms: z.number().int().positive().default(DAY_MS),
    /** Most unexpired, not yet uploaded URIs one user may hold (the spec asks servers to limit them). */
    max_pending_uploads_per_user: z.number().int().positive().default(5),
    /** Serve media uploaded from now on at the deprecated unauthenticated /_matrix/media/.../download too. */
    legacy_unauthenticated_downloads: z.boolean().default(false),
    /** Thumbnail sizes, pixel limit and pre-generation (thumbnail-schema.ts). */
    thumbnails: thumbnailConfigSchema.default(DEFAULT_THUMBNAIL_CONFIG),
    /** URL previews, off by default (url-preview-schema.ts). */
    url_preview: urlPreviewConfigSchema.default(DEFAULT_URL_PREVIEW_CONFIG),
  })
  .strict();

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export const DEFAULT_MEDIA_CONFIG: MediaConfig = {
  max_upload_size: 50 * MIB,
  remote_media_retention_days: 90,
  pending_upload_expiry_ms: DAY_MS,
  max_pending_uploads_per_user: 5,
  legacy_unauthenticated_downloads: false,
  thumbnails: DEFAULT_THUMBNAIL_CONFIG,
  url_preview: DEFAULT_URL_PREVIEW_CONFIG,
};

/** The media directory: `media.store_path`, or `<data_dir>/media`. */
export function mediaStorePath(media: MediaConfig, dataDir: string): string {
  return media.store_path ?? `${dataDir.replace(/\/+$/, "")}/media`;
}
