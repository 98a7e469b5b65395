/**
 * Pushers (schema/pushers.ts) and what their delivery reads: a pusher's pending notifications are its
 * user's push actions after the pusher's position: the moved ones (`event_push_actions`) found through
 * the events' stream positions (the unique index on events.stream_ordering), so that they need no second
 * index, and the staged ones read directly.
 */
import type { Selectable } from "kysely";
import type { PushersTable } from "./schema/pushers.js";
import type { PushAction } from "../protocol/push/types.js";
import type { Db, Executor } from "./db.js";
import { READ_RECEIPT_TYPES } from "./push-action-store.js";
import { LADDER, paddedToLadder, placeholderList, Statement, StatementsByCount } from "./statement.js";

export interface PusherRecord {
  id: number;
  userId: string;
  kind: string;
  appId: string;
  pushkey: string;
  /** In ms. */
  pushkeyTs: number;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
  deviceId: string | null;
  accessTokenId: number | null;
  lastStreamOrdering: number;
  lastSuccessTs: number | null;
  failingSinceTs: number | null;
}

export type NewPusher = Omit<PusherRecord, "id" | "lastSuccessTs" | "failingSinceTs">;

/** A notification waiting for a pusher. */
export interface PendingPush {
  eventNid: number;
  roomNid: number;
  threadId: string;
  streamOrdering: number;
  actions: PushAction[];
}

// What every pusher asks after each event that notified its user: precompiled (statement.ts).
// Push actions are staged, then moved (migration 035): each reads both tables in one statement, the
// staged ones (few, keyed by room and position) without the events. The moved ones are reached from
// the events in the range (CROSS JOIN fixes that order for SQLite, whose planner otherwise started
// from the user's whole history in the index by user).
const pendingActions = new Statement<{ event_nid: number; room_nid: number; thread_id: string; stream_ordering: number; actions: string }>(
  `SELECT event_nid, room_nid, thread_id, stream_ordering, actions FROM (
     SELECT a.event_nid, a.room_nid, a.thread_id, a.stream_ordering, a.actions
     FROM events e CROSS JOIN event_push_actions a
     WHERE a.event_nid = e.event_nid AND a.user_id = ? AND e.stream_ordering > ? AND e.stream_ordering <= ? AND a.notify = 1
     UNION ALL
     SELECT s.event_nid, s.room_nid, s.thread_id, s.stream_ordering, s.actions FROM event_push_actions_staging s
     WHERE s.user_id = ? AND s.stream_ordering > ? AND s.stream_ordering <= ? AND s.notify = 1
   ) AS actions ORDER BY stream_ordering LIMIT ?`,
);
const USERS_PER_SCAN = LADDER[0];
const notifiedAmong = new StatementsByCount<{ user_id: string; event_nid: number; room_nid: number; thread_id: string; stream_ordering: number; actions: string }>(
  (n) => `SELECT user_id, event_nid, room_nid, thread_id, stream_ordering, actions FROM (
     SELECT a.user_id, a.event_nid, a.room_nid, a.thread_id, a.stream_ordering, a.actions
     FROM events e CROSS JOIN event_push_actions a
     WHERE a.event_nid = e.event_nid AND e.stream_ordering > ? AND e.stream_ordering <= ? AND a.notify = 1 AND a.user_id IN (${placeholderList(n)})
     UNION ALL
     SELECT s.user_id, s.event_nid, s.room_nid, s.thread_id, s.stream_ordering, s.actions FROM event_push_actions_staging s
     WHERE s.stream_ordering > ? AND s.stream_ordering <= ? AND s.notify = 1 AND s.user_id IN (${placeholderList(n)})
   ) AS actions ORDER BY stream_ordering LIMIT ?`,
);
const usersWhoRead = new Statement<{ user_id: string }>(
  `SELECT DISTINCT user_id FROM receipts
   WHERE stream_id > ? AND stream_id <= ? AND receipt_type IN (${placeholderList(READ_RECEIPT_TYPES.length)})`,
);
const advance = new Statement(`UPDATE pushers SET last_stream_ordering = ?, last_success_ts = COALESCE(?, last_success_ts) WHERE id = ? AND last_stream_ordering < ?`);

/** A pushers row as read (the schema's type, its generated ID resolved). */
type Row = Selectable<PushersTable>;

const toRecord = (r: Row): PusherRecord => ({
  id: Number(r.id),
  userId: r.user_id,
  kind: r.kind,
  appId: r.app_id,
  pushkey: r.pushkey,
  pushkeyTs: Number(r.pushkey_ts),
  appDisplayName: r.app_display_name,
  deviceDisplayName: r.device_display_name,
  profileTag: r.profile_tag,
  lang: r.lang,
  data: JSON.parse(r.data) as Record<string, unknown>,
  deviceId: r.device_id,
  accessTokenId: r.access_token_id === null ? null : Number(r.access_token_id),
  lastStreamOrdering: Number(r.last_stream_ordering),
  lastSuccessTs: r.last_success_ts === null ? null : Number(r.last_success_ts),
  failingSinceTs: r.failing_since_ts === null ? null : Number(r.failing_since_ts),
});

export class PusherStore {
  constructor(private readonly db: Db) {}

  /** A user's pushers (of one kind when given), oldest first. */
  async ofUser(userId: string, kind?: string, executor: Executor = this.db.kysely): Promise<PusherRecord[]> {
    let query = executor.selectFrom("pushers").selectAll().where("user_id", "=", userId);
    if (kind !== undefined) query = query.where("kind", "=", kind);
    return (await query.orderBy("id").execute()).map(toRecord);
  }

  /** Every pusher of a kind (to start delivering after a restart). */
  async allOfKind(kind: string): Promise<PusherRecord[]> {
    return (await this.db.kysely.selectFrom("pushers").selectAll().where("kind", "=", kind).orderBy("id").execute()).map(toRecord);
  }

  async find(executor: Executor, userId: string, appId: string, pushkey: string): Promise<PusherRecord | undefined> {
    const row = await executor.selectFrom("pushers").selectAll().where("user_id", "=", userId).where("app_id", "=", appId).where("pushkey", "=", pushkey).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Creates the pusher or replaces its settings; an existing pusher keeps its device and token. */
  async upsert(executor: Executor, p: NewPusher): Promise<void> {
    const settings = {
      kind: p.kind,
      pushkey_ts: p.pushkeyTs,
      app_display_name: p.appDisplayName,
      device_display_name: p.deviceDisplayName,
      profile_tag: p.profileTag,
      lang: p.lang,
      data: JSON.stringify(p.data),
      last_stream_ordering: p.lastStreamOrdering,
      failing_since_ts: null,
    };
    await executor
      .insertInto("pushers")
      .values({ ...settings, user_id: p.userId, app_id: p.appId, pushkey: p.pushkey, device_id: p.deviceId, access_token_id: p.accessTokenId, last_success_ts: null })
      .onConflict((oc) => oc.columns(["user_id", "app_id", "pushkey"]).doUpdateSet(settings))
      .execute();
  }

  async delete(executor: Executor, userId: string, appId: string, pushkey: string): Promise<boolean> {
    const result = await executor.deleteFrom("pushers").where("user_id", "=", userId).where("app_id", "=", appId).where("pushkey", "=", pushkey).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteById(id: number): Promise<void> {
    await this.db.kysely.deleteFrom("pushers").where("id", "=", id).execute();
  }

  /** Removes other users' pushers with this app ID and pushkey; returns those users. */
  async deleteOthers(executor: Executor, appId: string, pushkey: string, exceptUserId: string): Promise<string[]> {
    const rows = await executor.selectFrom("pushers").select("user_id").where("app_id", "=", appId).where("pushkey", "=", pushkey).where("user_id", "!=", exceptUserId).execute();
    if (rows.length === 0) return [];
    await executor.deleteFrom("pushers").where("app_id", "=", appId).where("pushkey", "=", pushkey).where("user_id", "!=", exceptUserId).execute();
    return [...new Set(rows.map((r) => r.user_id))];
  }

  /** Removes the pushers set from these devices; returns how many went. */
  async deleteByDevices(executor: Executor, userId: string, deviceIds: readonly string[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < deviceIds.length; i += 500) {
      const result = await executor.deleteFrom("pushers").where("user_id", "=", userId).where("device_id", "in", deviceIds.slice(i, i + 500)).executeTakeFirst();
      n += Number(result.numDeletedRows);
    }
    return n;
  }

  /** Removes the pushers set with a device-less access token that no longer exists; returns how many went. */
  async deleteOfRevokedTokens(executor: Executor, userId: string): Promise<number> {
    const result = await executor
      .deleteFrom("pushers")
      .where("user_id", "=", userId)
      .where("device_id", "is", null)
      .where("access_token_id", "is not", null)
      .where("access_token_id", "not in", (eb) => eb.selectFrom("access_tokens").select("id").where("user_id", "=", userId))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteAllOfUser(executor: Executor, userId: string): Promise<number> {
    const result = await executor.deleteFrom("pushers").where("user_id", "=", userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Moves a pusher's position forward (never back), with the time of its last delivery when there was one. */
  async advance(executor: Executor, id: number, streamOrdering: number, successTs: number | null): Promise<void> {
    await advance.all(this.db.dialect, executor, [streamOrdering, successTs, id, streamOrdering]);
  }

  async setFailingSince(id: number, ts: number | null): Promise<void> {
    await this.db.kysely.updateTable("pushers").set({ failing_since_ts: ts }).where("id", "=", id).execute();
  }

  /** The user's notifications with stream positions in (after, upTo], oldest first. */
  async pending(userId: string, after: number, upTo: number, limit: number): Promise<PendingPush[]> {
    const rows = await pendingActions.all(this.db.dialect, this.db.kysely, [userId, after, upTo, userId, after, upTo, limit]);
    return rows.map((r) => ({
      eventNid: Number(r.event_nid),
      roomNid: Number(r.room_nid),
      threadId: r.thread_id,
      streamOrdering: Number(r.stream_ordering),
      actions: JSON.parse(r.actions) as PushAction[],
    }));
  }

  /** The notifications of these users with stream positions in (after, upTo], by user, oldest first; undefined past `limit`. */
  async notifiedAmong(userIds: readonly string[], after: number, upTo: number, limit: number): Promise<Map<string, PendingPush[]> | undefined> {
    const out = new Map<string, PendingPush[]>();
    let total = 0;
    for (let i = 0; i < userIds.length; i += USERS_PER_SCAN) {
      // Padded to a ladder size: four statements, each prepared once.
      const chunk = paddedToLadder(userIds.slice(i, i + USERS_PER_SCAN));
      const rows = await notifiedAmong.of(chunk.length).all(this.db.dialect, this.db.kysely, [after, upTo, ...chunk, after, upTo, ...chunk, limit - total + 1]);
      total += rows.length;
      if (total > limit) return undefined;
      for (const r of rows) {
        let list = out.get(r.user_id);
        if (!list) out.set(r.user_id, (list = []));
        list.push({ eventNid: Number(r.event_nid), roomNid: Number(r.room_nid), threadId: r.thread_id, streamOrdering: Number(r.stream_ordering), actions: JSON.parse(r.actions) as PushAction[] });
      }
    }
    return out;
  }

  /** Users whose read receipts moved within (after, upTo] of the receipts stream. */
  async usersWhoRead(after: number, upTo: number): Promise<string[]> {
    return (await usersWhoRead.all(this.db.dialect, this.db.kysely, [after, upTo, ...READ_RECEIPT_TYPES])).map((r) => r.user_id);
  }
}
