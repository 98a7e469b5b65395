/**
 * What the thumbnailer needs of the media repository: a media's declared content type, its file on
 * local disk (image decoders want random access) and a stream of its bytes (to serve an original).
 * thumbnail-media-source.ts implements it over the media service.
 */
import type { Readable } from "node:stream";

export interface MediaFile {
  /** Absolute path of the media's bytes on local disk. */
  readonly path: string;
  /** Content type the uploader declared. */
  readonly contentType: string;
  readonly size: number;
  /** The bytes, to serve the original in place of a thumbnail. */
  open(): Promise<Readable>;
}

export interface MediaOpenOptions {
  /** How long to wait for an asynchronous upload still in progress (spec `timeout_ms`). */
  readonly timeoutMs?: number | undefined;
  /** Through the deprecated unauthenticated endpoints, which may refuse newer media. */
  readonly legacy: boolean;
  /** `allow_remote` of the deprecated endpoint. */
  readonly allowRemote?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface MediaSource {
  /** The media's file; throws the media repository's MatrixErrors (404, 504 M_NOT_YET_UPLOADED...). */
  open(serverName: string, mediaId: string, options: MediaOpenOptions): Promise<MediaFile>;
}

/** What answers a thumbnail request: a thumbnail's bytes, or the original as a stream. */
export type ThumbnailBody =
  | { readonly kind: "bytes"; readonly data: Buffer; readonly contentType: string }
  | { readonly kind: "stream"; readonly stream: Readable; readonly size: number; readonly contentType: string };
