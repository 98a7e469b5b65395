/**
 * Where thumbnail files live: one directory per media under the thumbnail root, named by a hash of the
 * server name and media ID (so that no ID, however crafted, can reach outside the root), one file per
 * size. Files are written to a temporary name and renamed, so a reader never sees half a thumbnail.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export class ThumbnailFiles {
  constructor(readonly root: string) {}

  /** The directory of one media's thumbnails, relative to the root. */
  mediaDir(serverName: string, mediaId: string): string {
    const hash = createHash("sha256").update(`${serverName}\0${mediaId}`).digest("hex");
    return join(hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  /** The relative file name of one thumbnail. */
  fileName(serverName: string, mediaId: string, variant: string, extension: string): string {
    return join(this.mediaDir(serverName, mediaId), `${variant}.${extension}`);
  }

  absolute(fileName: string): string {
    return join(this.root, fileName);
  }

  /** Writes a thumbnail atomically (temporary file, then rename). */
  async write(fileName: string, data: Buffer): Promise<void> {
    const path = this.absolute(fileName);
    await mkdir(join(path, ".."), { recursive: true });
    const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(temporary, data);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** A thumbnail's bytes, or undefined when its file is gone. */
  async read(fileName: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.absolute(fileName));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Removes every thumbnail file of one media. */
  async removeMedia(serverName: string, mediaId: string): Promise<void> {
    await rm(this.absolute(this.mediaDir(serverName, mediaId)), { recursive: true, force: true });
  }
}
