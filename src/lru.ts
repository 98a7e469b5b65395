/**
 * LRU caches bounded by their number of entries, without memory set aside for the bound up front.
 * lru-cache's `max` allocates its lists for `max` entries at construction (about 28 bytes each: the
 * caches of a fresh server came to 12 MiB of heap before holding anything); bounding by `maxSize` with
 * every entry of size 1 evicts the same way while the lists grow only as entries arrive.
 */
import { LRUCache } from "lru-cache";

type Options<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = Omit<LRUCache.Options<K, V, unknown>, "max" | "maxSize" | "sizeCalculation">;

const one = (): number => 1;

export function lruCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(entries: number, options: Options<K, V> = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: entries, sizeCalculation: one } as LRUCache.Options<K, V, unknown>);
}
