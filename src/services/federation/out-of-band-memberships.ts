/**
 * Records the memberships of local users in rooms this server is not in (a remote invite, a knock
 * through another server, the leave that ends one) on the room events stream, so /sync shows each
 * change once, and wakes the user's waiting syncs.
 */
import type { Notifier } from "../../notifier/notifier.js";
import type { Db } from "../../storage/db.js";
import type { OutOfBandMembership, OutOfBandMembershipStore } from "../../storage/out-of-band-membership-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";

export type OutOfBandChange = Omit<OutOfBandMembership, "streamOrdering">;

export class OutOfBandMemberships {
  constructor(
    private readonly db: Db,
    private readonly store: OutOfBandMembershipStore,
    private readonly eventStream: StreamIdGenerator,
    private readonly notifier: Notifier,
  ) {}

  /** Writes the user's new membership of the room at a new stream position and wakes their syncs. */
  async record(change: OutOfBandChange): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.store.put(tx.db, { ...change, streamOrdering: this.eventStream.allocate(tx) });
    });
    this.notifier.notify({ stream: "events", position: this.eventStream.current, userIds: [change.userId] });
  }

  get(userId: string, roomId: string): Promise<OutOfBandMembership | undefined> {
    return this.store.get(userId, roomId);
  }

  /** Drops the row once the room's own state carries the membership (the user joined). */
  async remove(userId: string, roomId: string): Promise<void> {
    await this.store.remove(this.db.kysely, userId, roomId);
  }
}
