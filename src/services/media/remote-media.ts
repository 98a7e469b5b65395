/**
 * Media of other servers, as the media service asks for it when its cache does not hold it:
 * remote-media-fetcher.ts fetches it over federation into the cache (the same table and storage, under
 * the origin's server name). `noRemoteMedia` stands in where federation is not wanted (tests).
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
