/**
 * One writer per room at a time: work queued for a room runs in order, work for different rooms runs
 * concurrently. In one process this is a promise chain per room; with several processes, rooms are
 * sharded so that each room has one persisting process (ARCHITECTURE.md "Scale").
 */
export class RoomLinearizer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(roomId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(roomId, tail);
    void tail.then(() => {
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    });
    return result;
  }
}
