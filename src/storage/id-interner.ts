/**
 * Interns strings (event IDs, (type, state_key) pairs) to integers, with an LRU cache both ways.
 * Interning inserts missing rows with ON CONFLICT DO NOTHING and reads back their numbers, so two
 * writers interning the same ID at once both get the same number.
 */
import type { LRUCache } from "lru-cache";
import { lruCache } from "../lru.js";

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

  forget(value: string): void {
    const nid = this.toNid.get(value);
    this.toNid.delete(value);
    if (nid !== undefined) this.toValue.delete(nid);
  }
}
