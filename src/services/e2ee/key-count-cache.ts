/**
 * Each device's one-time key counts and unused fallback key types, as /sync reports them, kept
 * between syncs. Every incremental sync of an encrypting client asks for them, and they change only
 * when the device uploads keys, someone claims one, or the device is deleted: all of which happen in
 * this process, in a transaction that tells this cache (`changing`) before it writes.
 *
 * A read is kept only if no write of that device was open while it ran and no write of any device
 * began or ended meanwhile: such a read may answer from before a commit (PostgreSQL's snapshot while
 * the write is open, or a read under way when the write began) or, were it ever to share the writer's
 * connection, include rows a rollback takes back.
 */
import type { Tx } from "../../storage/executor.js";
import type { KeySyncSummary } from "../../storage/e2e-key-store.js";
import { lruCache } from "../../lru.js";

/** Devices whose counts are kept (the least recently synced go first): ~150 bytes each. */
const DEFAULT_CAPACITY = 20_000;

const keyOf = (userId: string, deviceId: string): string => `${userId} ${deviceId}`;

export class KeyCountCache {
  private readonly kept;
  /** Devices with a write transaction open, and how many. */
  private readonly writing = new Map<string, number>();
  /** Moves whenever a write begins or ends. */
  private version = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.kept = lruCache<string, Readonly<KeySyncSummary>>(capacity);
  }

  /** The device's summary: the one kept, or `read()`'s answer (kept when nothing wrote meanwhile). */
  async get(userId: string, deviceId: string, read: () => Promise<KeySyncSummary>): Promise<Readonly<KeySyncSummary>> {
    const key = keyOf(userId, deviceId);
    const kept = this.kept.get(key);
    if (kept !== undefined) return kept;
    const version = this.version;
    const summary = await read();
    if (this.version === version && !this.writing.has(key)) this.kept.set(key, summary);
    return summary;
  }

  /**
   * Called inside `tx` before it writes any of the devices' keys: their counts are forgotten now and
   * again when the transaction ends, and none is kept while it is open.
   */
  changing(tx: Tx, userId: string, deviceIds: Iterable<string>): void {
    const keys = [...new Set([...deviceIds].map((deviceId) => keyOf(userId, deviceId)))];
    this.version++;
    for (const key of keys) {
      this.kept.delete(key);
      this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    }
    tx.onFinally(() => {
      this.version++;
      for (const key of keys) {
        this.kept.delete(key);
        const open = (this.writing.get(key) ?? 1) - 1;
        if (open > 0) this.writing.set(key, open);
        else this.writing.delete(key);
      }
    });
  }

  /** How many devices' counts are kept (tests look). */
  get size(): number {
    return this.kept.size;
  }
}
