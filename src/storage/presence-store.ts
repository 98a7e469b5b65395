/**
 * Presence of local users (client-server API "Presence"): one row per user with the state, status
 * message and activity times, and the presence stream position of its last notified change.
 */
import { sql } from "./kysely.js";
import type { Db, Executor } from "./db.js";

export interface PresenceRow {
  userId: string;
  state: string;
  statusMsg: string | null;
  lastActiveTs: number;
  lastUserSyncTs: number;
  currentlyActive: boolean;
  streamId: number;
}

type Row = {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number;
  last_user_sync_ts: number;
  currently_active: number;
  stream_id: number;
};

function toPresence(row: Row): PresenceRow {
  return {
    userId: row.user_id,
    state: row.state,
    statusMsg: row.status_msg,
    lastActiveTs: Number(row.last_active_ts),
    lastUserSyncTs: Number(row.last_user_sync_ts),
    currentlyActive: !!row.currently_active,
    streamId: Number(row.stream_id),
  };
}

export class PresenceStore {
  constructor(private readonly db: Db) {}

  async get(userId: string, executor: Executor = this.db.kysely): Promise<PresenceRow | undefined> {
    const row = await executor.selectFrom("presence").selectAll().where("user_id", "=", userId).executeTakeFirst();
    return row ? toPresence(row as Row) : undefined;
  }

  async upsert(executor: Executor, presence: PresenceRow): Promise<void> {
    const values = {
      state: presence.state,
      status_msg: presence.statusMsg,
      last_active_ts: presence.lastActiveTs,
      last_user_sync_ts: presence.lastUserSyncTs,
      currently_active: presence.currentlyActive ? 1 : 0,
      stream_id: presence.streamId,
    };
    await executor
      .insertInto("presence")
      .values({ user_id: presence.userId, ...values })
      .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
      .execute();
  }

  /** Users whose stored state is not offline (to time them out after a restart). */
  async notOffline(): Promise<PresenceRow[]> {
    const rows = await this.db.kysely.selectFrom("presence").selectAll().where("state", "!=", "offline").execute();
    return rows.map((r) => toPresence(r as Row));
  }

  /**
   * Presence rows with a stream position in (after, upTo] of `viewer` and of the users who share a
   * joined room with them; `after` undefined means from the start.
   */
  async visibleTo(viewer: string, after: number | undefined, upTo: number): Promise<PresenceRow[]> {
    let query = this.db.kysely.selectFrom("presence").selectAll().where("stream_id", "<=", upTo);
    if (after !== undefined) query = query.where("stream_id", ">", after);
    const rows = await query
      .where((eb) =>
        eb.or([
          eb("presence.user_id", "=", viewer),
          eb.exists(
            eb
              .selectFrom("room_memberships as mine")
              .innerJoin("room_memberships as theirs", "theirs.room_nid", "mine.room_nid")
              .select(sql<number>`1`.as("one"))
              .where("mine.user_id", "=", viewer)
              .where("mine.membership", "=", "join")
              .where("theirs.membership", "=", "join")
              .whereRef("theirs.user_id", "=", "presence.user_id"),
          ),
        ]),
      )
      .execute();
    return rows.map((r) => toPresence(r as Row));
  }
}
