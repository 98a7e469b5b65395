/**
 * Interns strings (event IDs, (type, state_key) pairs) to integers, with an LRU cache both ways.
 * Interning inserts missing rows with ON CONFLICT DO NOTHING and reads back their numbers, so two
 * writers interning the same ID at once both get the same number.
 */
import type { LRUCache } from "lru-cache";
import { lruCache } from "../lru.js";

/** Most values looked up in one statement (IN lists). */
const LOOKUP_CHUNK = 500;

export class InternCache {
  private readonly toNid: LRUCache<string, number>;
  private readonly toValue: LRUCache<number, string>;

  constructor(max: number) {
    this.toNid = lruCache(max);
    this.toValue = lruCache(max);
  }

  nid(value: string): number | undefined {
    return this.toNid.get(value);
  }

  value(nid: number): string | undefined {
    return this.toValue.get(nid);
  }

  remember(value: string, nid: number): void {
    this.toNid.set(value, nid);
    this.toValue.set(nid, value);
  }

  /**
   * The numbers of `values`: from the cache, the rest from `read` (asked for at most LOOKUP_CHUNK at a
   * time, answering [value, number] for those it knows), which are then remembered. Unknown values are
   * absent from the answer.
   */
  nidsOf(values: readonly string[], read: (missing: string[]) => Promise<Iterable<readonly [string, number]>>): Promise<Map<string, number>> {
    return this.lookup(values, (value) => this.nid(value), read, (value, nid) => [value, nid]);
  }

  /** The values of `nids`, as nidsOf does the other way. */
  valuesOf(nids: readonly number[], read: (missing: number[]) => Promise<Iterable<readonly [string, number]>>): Promise<Map<number, string>> {
    return this.lookup(nids, (nid) => this.value(nid), read, (value, nid) => [nid, value]);
  }

  /** `keys` answered from the cache (`cached`), the rest from `read` and remembered; `entry` puts a read pair in the answer's terms. */
  private async lookup<K, V>(
    keys: readonly K[],
    cached: (key: K) => V | undefined,
    read: (missing: K[]) => Promise<Iterable<readonly [string, number]>>,
    entry: (value: string, nid: number) => readonly [K, V],
  ): Promise<Map<K, V>> {
    const out = new Map<K, V>();
    const missing: K[] = [];
    for (const key of keys) {
      const found = cached(key);
      if (found !== undefined) out.set(key, found);
      else missing.push(key);
    }
    for (let i = 0; i < missing.length; i += LOOKUP_CHUNK) {
      for (const [value, nid] of await read(missing.slice(i, i + LOOKUP_CHUNK))) {
        out.set(...entry(value, nid));
        this.remember(value, nid);
      }
    }
    return out;
  }

  forget(value: string): void {
    const nid = this.toNid.get(value);
    this.toNid.delete(value);
    if (nid !== undefined) this.toValue.delete(nid);
  }
}
