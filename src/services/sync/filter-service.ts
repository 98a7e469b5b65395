/** Uploading and reading filters, and resolving the `filter` parameter of /sync (an ID or inline JSON). */
import { MatrixError } from "../../errors.js";
import type { FilterStore } from "../../storage/filter-store.js";
import { parseSyncFilter, type SyncFilter } from "./filter.js";
import { lruCache } from "../../lru.js";

export class FilterService {
  /** Stored filters never change once created, so every long-poll naming one need not read it again. */
  private readonly stored = lruCache<string, string>(20_000);

  constructor(private readonly store: FilterStore) {}

  async create(userId: string, raw: unknown): Promise<string> {
    const filter = parseSyncFilter(raw);
    return String(await this.store.create(userId, JSON.stringify(filter)));
  }

  async get(userId: string, filterId: string): Promise<SyncFilter> {
    if (!/^\d{1,15}$/.test(filterId)) throw new MatrixError(404, "M_NOT_FOUND", "No such filter");
    const key = `${userId}|${filterId}`;
    const json = this.stored.get(key) ?? (await this.store.get(userId, Number(filterId)));
    if (json === undefined) throw new MatrixError(404, "M_NOT_FOUND", "No such filter");
    this.stored.set(key, json);
    return JSON.parse(json) as SyncFilter;
  }

  /** The `filter` query parameter: a filter ID, or a JSON object inline (starting with `{`). */
  async resolve(userId: string, param: string | undefined): Promise<SyncFilter> {
    if (param === undefined || param === "") return {};
    if (param.trimStart().startsWith("{")) {
      let raw: unknown;
      try {
        raw = JSON.parse(param);
      } catch {
        throw new MatrixError(400, "M_NOT_JSON", "filter is not valid JSON");
      }
      return parseSyncFilter(raw);
    }
    return this.get(userId, param);
  }
}
