/**
 * Where media bytes live: a content-addressed blob store, one blob per distinct content, named by the
 * hex SHA-256 of its bytes. The metadata (which mxc:// URIs name which blob) is in the database
 * (media-store.ts). The filesystem implementation is media-filesystem-storage.ts; an S3-compatible
 * backend implements the same interface.
 */
import type { Readable } from "node:stream";

/** A blob that has been received and hashed but is not yet visible under its name. */
export interface PendingBlob {
  readonly sha256: string;
  readonly size: number;
  /**
   * Makes the blob readable under its hash (when a blob with that hash exists already, the new copy is
   * dropped: same hash, same bytes). The caller serialises commit and delete of one hash.
   */
  commit(): Promise<void>;
  /** Drops the received bytes (an upload refused after it was received). */
  discard(): Promise<void>;
}

/** An inclusive byte range, as HTTP Range counts. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The stream passed more than `maxBytes`: nothing of it was kept. */
export class BlobTooLargeError extends Error {
  override name = "BlobTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`content larger than ${maxBytes} bytes`);
  }
}

/** The metadata names a blob the storage does not have (deleted underneath us, or lost). */
export class BlobMissingError extends Error {
  override name = "BlobMissingError";
  constructor(readonly sha256: string) {
    super(`media blob ${sha256} is missing`);
  }
}

export interface MediaStorage {
  /**
   * Receives `source` while hashing it, never holding it whole in memory. Past `maxBytes` it stops
   * reading (without destroying `source`, so that an answer can still be sent on its connection),
   * removes what it wrote and rejects with BlobTooLargeError.
   */
  receive(source: Readable, options: { maxBytes: number }): Promise<PendingBlob>;
  /** A stream of the blob's bytes, or of one range of them; BlobMissingError when it is absent. */
  read(sha256: string, range?: ByteRange): Promise<Readable>;
  /** Whether the blob exists. */
  has(sha256: string): Promise<boolean>;
  /** Removes the blob (nothing when it is absent). The caller checked that nothing names it any more. */
  delete(sha256: string): Promise<void>;
  /**
   * The blob's path on the local filesystem, for tools that need random access to a file (image
   * decoders); undefined for a backend without local files (an object store), whose users read() instead.
   */
  localPath(sha256: string): string | undefined;
}
