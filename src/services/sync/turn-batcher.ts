/**
 * Coalesces the reads that the rooms of a response, computed concurrently, each make in the same turn
 * of the event loop: the keys asked within one turn (per group) are read by one call to `loadAll`
 * once the turn's pending work has run, and every caller gets the shared answer.
 */
export class TurnBatcher<K, V> {
  private readonly pending = new Map<string, { keys: Set<K>; result: Promise<Map<K, V>> }>();

  constructor(private readonly loadAll: (group: string, keys: readonly K[]) => Promise<Map<K, V>>) {}

  load(group: string, keys: readonly K[]): Promise<Map<K, V>> {
    let batch = this.pending.get(group);
    if (!batch) {
      const collected = new Set<K>();
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.pending.delete(group);
        return this.loadAll(group, [...collected]);
      });
      batch = { keys: collected, result };
      this.pending.set(group, batch);
    }
    for (const key of keys) batch.keys.add(key);
    return batch.result;
  }
}
