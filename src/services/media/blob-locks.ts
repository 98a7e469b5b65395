/**
 * One operation at a time per blob hash: committing a new copy of a blob and deleting an unnamed one
 * must not interleave, or a deletion that counted no rows could remove a file an upload has just
 * committed and is about to name. Per process: media writes belong to one process (ARCHITECTURE.md
 * "Scale": media is its own role).
 */
export class BlobLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(sha256: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(sha256) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(sha256, tail);
    void tail.then(() => {
      if (this.tails.get(sha256) === tail) this.tails.delete(sha256);
    });
    return result;
  }
}
