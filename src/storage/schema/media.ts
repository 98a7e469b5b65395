/** The content repository (client-server API "Content repository"): one row per mxc:// URI. */

/**
 * One piece of media. The bytes live in the media storage under their SHA-256 (one file per distinct
 * content, however many rows name it). A row made by POST /_matrix/media/v1/create is `pending` until
 * its content arrives: it has no content type, size or hash yet, and `unused_expires_ts` says until
 * when it may still be uploaded to.
 */
export interface MediaTable {
  server_name: string;
  media_id: string;
  /** The local uploader; null for remote media cached here. */
  user_id: string | null;
  /** As the uploader gave it (null while pending). */
  content_type: string | null;
  /** The `filename` of the upload, if any. */
  upload_name: string | null;
  /** Bytes (null while pending). */
  size: number | null;
  /** Hex SHA-256 of the content: its name in the media storage (null while pending). */
  sha256: string | null;
  created_ts: number;
  /** Last time it was served (downloads, thumbnails): what the retention policy ages media by. */
  last_access_ts: number;
  quarantined: number;
  /**
   * 1 when uploaded while the deprecated unauthenticated download endpoints were frozen
   * (`media.legacy_unauthenticated_downloads: false`): such media is served on the authenticated
   * endpoints only, even if the operator unfreezes them later (spec: "Content repository").
   */
  auth_required: number;
  /** 1 from POST /create until its content is uploaded. */
  pending: number;
  /** While pending: when the URI expires unused. */
  unused_expires_ts: number | null;
}

export interface MediaTables {
  media: MediaTable;
}
