/** What the media services hand out: uploaded media, deletions and the hooks that follow them. */

/** Uploaded (not pending) media, as served. */
export interface MediaInfo {
  readonly serverName: string;
  readonly mediaId: string;
  /** The local uploader; null for remote media. */
  readonly userId: string | null;
  /** As the uploader gave it; `application/octet-stream` when they gave none. */
  readonly contentType: string;
  /** The upload's `filename`, if any. */
  readonly uploadName: string | null;
  readonly size: number;
  /** Hex SHA-256 of the bytes: the media's name in the storage, and a strong validator (ETag). */
  readonly sha256: string;
  readonly createdTs: number;
}

/** One deleted mxc:// URI. */
export interface DeletedMedia {
  readonly serverName: string;
  readonly mediaId: string;
}

/** Runs after media rows were deleted and their files removed (thumbnails go with them). */
export type MediaDeletedHook = (deleted: readonly DeletedMedia[]) => Promise<void>;
