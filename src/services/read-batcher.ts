/**
 * Reads asked for one by one, answered together. One message wakes the long-polls of every member of
 * its room, and their answers each ask storage the same question about a different user (that user's
 * unread counts, their device's key counts): as many statements as members, on PostgreSQL as many
 * round trips queued on the pool. A ReadBatcher collects the keys asked while the event loop runs the
 * current wave of work and reads them all in one go once it is done (setImmediate), so the members one
 * wake-up reaches share a statement. A lone request waits for nothing but the end of that turn.
 * Worth it where a statement is a round trip (PostgreSQL); see `together`.
 */
export class ReadBatcher<Key, Value> {
  private waiting: { key: Key; resolve: (value: Value) => void; reject: (error: unknown) => void }[] = [];

  /**
   * `readMany` answers every key it is given, in the order given. With `together` false every key is
   * read at once on its own (Db.statementsAreRoundTrips: on SQLite sharing a statement gains nothing).
   */
  constructor(
    private readonly readMany: (keys: readonly Key[]) => Promise<readonly Value[]>,
    private readonly together = true,
  ) {}

  load(key: Key): Promise<Value> {
    if (!this.together) return this.readMany([key]).then((values) => values[0] as Value);
    return new Promise<Value>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.flush());
      this.waiting.push({ key, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    // Through a promise, so that even a reader that throws at once fails its callers, not the process.
    new Promise<readonly Value[]>((resolve) => resolve(this.readMany(batch.map((request) => request.key)))).then(
      (values) => {
        batch.forEach((request, i) => request.resolve(values[i] as Value));
      },
      (error: unknown) => {
        for (const request of batch) request.reject(error);
      },
    );
  }
}
