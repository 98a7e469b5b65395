/**
 * The rooms a user has a membership in, kept in memory for /sync: a woken long-poll and every loop
 * before it waits need them, and they change only with a membership event (whose notification names
 * the user) or a forget. An entry read while a change was being announced is never kept, so the cache
 * cannot hold a list older than the last notification.
 */
import type { Notifier } from "../../notifier/notifier.js";
import type { MembershipRecord, RoomStore } from "../../storage/room-store.js";
import { lruCache } from "../../lru.js";

export class SyncMemberships {
  private readonly cache = lruCache<string, readonly MembershipRecord[]>(50_000);
  /** Bumped per user on every change; a read that started before a bump is not cached. */
  private readonly generations = new Map<string, number>();
  private generation = 0;
  /** Generation at which `generations` was last emptied: reads from before it are not cached. */
  private clearedAt = 0;

  constructor(
    private readonly rooms: RoomStore,
    notifier: Notifier,
  ) {
    notifier.onNotification((notification) => {
      // Membership events notify the events stream with the member as user; other streams name
      // users too (to-device, account data), which costs a re-read at most.
      if (notification.stream === "events") for (const userId of notification.userIds ?? []) this.invalidate(userId);
    });
    rooms.onMembershipFlagsChanged((userId) => this.invalidate(userId));
  }

  /** Every membership of the user (any kind), as RoomStore.membershipsOf. Callers must not modify it. */
  async of(userId: string): Promise<readonly MembershipRecord[]> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    const before = this.generation;
    const records = await this.rooms.membershipsOf(userId);
    if ((this.generations.get(userId) ?? this.clearedAt) <= before) this.cache.set(userId, records);
    return records;
  }

  private invalidate(userId: string): void {
    this.generation++;
    this.generations.set(userId, this.generation);
    this.cache.delete(userId);
    // Generations only matter to reads in flight; forget them once there are many.
    if (this.generations.size > 10_000) {
      this.generations.clear();
      this.clearedAt = this.generation;
    }
  }
}
