/**
 * Memberships of local users in rooms this server is not in: a remote invite, a knock sent through
 * another server, and the leave that ends either. One row per user and room, replaced on each change.
 */
import type { Db, Executor } from "./db.js";

export interface OutOfBandMembership {
  userId: string;
  roomId: string;
  roomVersion: string;
  membership: "invite" | "knock" | "leave";
  eventId: string;
  /** The member event as a PDU. */
  event: Record<string, unknown>;
  /** Stripped state events ({type, state_key, sender, content}). */
  strippedState: Record<string, unknown>[];
  /** Servers to reach the room through, best first. */
  servers: string[];
  streamOrdering: number;
}

type Row = {
  user_id: string;
  room_id: string;
  room_version: string;
  membership: string;
  event_id: string;
  event_json: string;
  stripped_state: string;
  servers: string;
  stream_ordering: number | string | bigint;
};

/** Events from the network may hold integers parsed as bigint; they are only shown again, so numbers do. */
function toText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? Number(v) : v));
}

function fromRow(row: Row): OutOfBandMembership {
  return {
    userId: row.user_id,
    roomId: row.room_id,
    roomVersion: row.room_version,
    membership: row.membership as OutOfBandMembership["membership"],
    eventId: row.event_id,
    event: JSON.parse(row.event_json) as Record<string, unknown>,
    strippedState: JSON.parse(row.stripped_state) as Record<string, unknown>[],
    servers: JSON.parse(row.servers) as string[],
    streamOrdering: Number(row.stream_ordering),
  };
}

export class OutOfBandMembershipStore {
  /** The highest stream position of any row written (loaded once; raised by every write). */
  private newest: number | undefined;

  constructor(private readonly db: Db) {}

  /**
   * The newest position of any out-of-band membership: an incremental /sync from at least this far
   * has nothing of them to show, without a query (almost every sync of almost every user).
   */
  async newestPosition(): Promise<number> {
    if (this.newest === undefined) {
      const row = await this.db.kysely
        .selectFrom("out_of_band_memberships")
        .select((eb) => eb.fn.max("stream_ordering").as("newest"))
        .executeTakeFirst();
      this.newest = Math.max(this.newest ?? -1, Number(row?.newest ?? -1));
    }
    return this.newest;
  }

  /** Writes (or replaces) the user's membership of the room. */
  async put(executor: Executor, m: OutOfBandMembership): Promise<void> {
    const values = {
      user_id: m.userId,
      room_id: m.roomId,
      room_version: m.roomVersion,
      membership: m.membership,
      event_id: m.eventId,
      event_json: toText(m.event),
      stripped_state: toText(m.strippedState),
      servers: JSON.stringify(m.servers),
      stream_ordering: m.streamOrdering,
    };
    // Raised before the write commits: a sync seeing it early only reads the table once more.
    this.newest = Math.max(this.newest ?? -1, m.streamOrdering);
    await executor
      .insertInto("out_of_band_memberships")
      .values(values)
      .onConflict((oc) => oc.columns(["user_id", "room_id"]).doUpdateSet({ ...values }))
      .execute();
  }

  async get(userId: string, roomId: string, executor: Executor = this.db.kysely): Promise<OutOfBandMembership | undefined> {
    const row = await executor.selectFrom("out_of_band_memberships").selectAll().where("user_id", "=", userId).where("room_id", "=", roomId).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Every out-of-band membership of the user, oldest change first. */
  async ofUser(userId: string): Promise<OutOfBandMembership[]> {
    const rows = await this.db.kysely.selectFrom("out_of_band_memberships").selectAll().where("user_id", "=", userId).orderBy("stream_ordering").execute();
    return rows.map(fromRow);
  }

  /** Forgets the row once the room's own state holds the user's membership (after a join). */
  async remove(executor: Executor, userId: string, roomId: string): Promise<void> {
    await executor.deleteFrom("out_of_band_memberships").where("user_id", "=", userId).where("room_id", "=", roomId).execute();
  }
}
