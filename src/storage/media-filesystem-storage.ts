/**
 * Media blobs as files: `<root>/<h0h1>/<h2h3>/<sha256>`, two levels of fan-out so that no directory
 * grows past a few thousand entries. An upload is written to `<root>/tmp/` while it is hashed, synced
 * to disk, then renamed to its name: a reader never sees a partial file, and a crash leaves only a
 * temporary file behind (swept at start).
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { BlobMissingError, BlobTooLargeError, type ByteRange, type MediaStorage, type PendingBlob } from "./media-storage.js";

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Temporary files older than this at start belong to no running upload. */
const STALE_TEMP_MS = 86_400_000;

export class FilesystemMediaStorage implements MediaStorage {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, "tmp");
  }

  /** Creates the directories and removes temporary files that crashed uploads left behind. */
  async init(now = Date.now()): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    }
  }

  async receive(source: Readable, options: { maxBytes: number }): Promise<PendingBlob> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = join(this.tmpDir, randomUUID());
    const file = await open(tmpPath, "wx", 0o600);
    let received: { sha256: string; size: number };
    try {
      received = await copyHashing(source, file, options.maxBytes);
      // The database row that names this blob is committed after it: the bytes must be on disk first.
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(tmpPath, { force: true });
      throw error;
    }
    await file.close();
    const finalPath = this.pathOf(received.sha256);
    let settled = false;
    return {
      ...received,
      commit: async () => {
        if (settled) return;
        settled = true;
        if (await exists(finalPath)) {
          await rm(tmpPath, { force: true });
          return;
        }
        await mkdir(join(finalPath, ".."), { recursive: true });
        await rename(tmpPath, finalPath);
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await rm(tmpPath, { force: true });
      },
    };
  }

  async read(sha256: string, range?: ByteRange): Promise<Readable> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new BlobMissingError(sha256);
      throw error;
    }
    // The stream owns the handle and closes it when it ends or is destroyed (a client that went away).
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async has(sha256: string): Promise<boolean> {
    return exists(this.pathOf(sha256));
  }

  async delete(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  localPath(sha256: string): string {
    return this.pathOf(sha256);
  }

  private pathOf(sha256: string): string {
    // Names come from our own hashing, but a path is built from them: refuse anything else outright.
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Copies `source` into `file` while hashing it, one chunk in flight at a time (the source is paused
 * while a chunk is written, so memory stays at one socket chunk). Listeners, not a pipeline: a
 * pipeline destroys its source on error, and destroying an HTTP request kills the connection the
 * 413 answer still has to go out on.
 */
function copyHashing(source: Readable, file: FileHandle, maxBytes: number): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  let writing: Promise<unknown> = Promise.resolve();
  let writeFailure: Error | undefined;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      source.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      source.pause();
      if (error) reject(error);
      // The last chunk may still be being written when the source ends.
      else void writing.then(() => (writeFailure ? reject(writeFailure) : resolve({ sha256: hash.digest("hex"), size })));
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) {
        finish(new BlobTooLargeError(maxBytes));
        return;
      }
      hash.update(bytes);
      source.pause();
      writing = writeAll(file, bytes).then(
        () => {
          if (!done) source.resume();
        },
        (error: Error) => {
          writeFailure ??= error;
          finish(error);
        },
      );
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void => finish(error);
    // A client that hangs up mid-body: the stream closes without ending.
    const onClose = (): void => {
      if (!source.readableEnded) finish(new Error("the upload was interrupted"));
    };
    source.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
    source.resume();
  });
}

async function writeAll(file: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
