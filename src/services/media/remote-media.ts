/**
 * Media of other servers. Federation does not exist yet, so no remote media can be fetched: every
 * remote mxc:// URI answers 404 M_NOT_FOUND. Once `/_matrix/federation/v1/media/download` can be
 * called, an implementation of this interface fetches the media into the local cache (the same table
 * and storage, with the remote server name) and returns it.
 */
import { MatrixError } from "../../errors.js";
import type { MediaInfo } from "./media-types.js";

export interface RemoteMediaSource {
  /** The media, fetched from its origin server and cached here when it was not cached yet. */
  fetch(serverName: string, mediaId: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<MediaInfo>;
}

export const noRemoteMedia: RemoteMediaSource = {
  fetch: () => Promise.reject(new MatrixError(404, "M_NOT_FOUND", "Remote media is not available from this server")),
};
