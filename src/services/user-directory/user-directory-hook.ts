/**
 * Keeps the user directory current as room events are persisted (in the event's transaction):
 * - a join records the member: a local user by their profile (per-room names are not searched, as in
 *   Synapse), a remote user by the display name and avatar of the join event;
 * - a remote user who is no longer joined to any room here is dropped (nothing to find them by);
 * - a change of join rules or history visibility decides whether the room's members are visible to
 *   every searcher (join rule `public` or history visibility `world_readable`).
 */
import { stateKey } from "../../protocol/event.js";
import type { EventStore } from "../../storage/event-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { UserDirectoryStore } from "../../storage/user-directory-store.js";
import type { PersistContext, PersistHook } from "../rooms/event-persister.js";

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function userDirectoryHook(store: UserDirectoryStore, users: UserStore, events: EventStore, serverName: string): PersistHook {
  return async (context: PersistContext) => {
    const { event, tx } = context;
    if (typeof event.state_key !== "string") return;
    if (event.type === "m.room.member") {
      const userId = event.state_key;
      const local = userId.endsWith(`:${serverName}`);
      if (event.content["membership"] === "join") {
        const source = local ? await users.getProfile(userId, tx.db) : event.content;
        await store.upsertUser(tx.db, { userId, displayName: stringOrNull(source["displayname"]), avatarUrl: stringOrNull(source["avatar_url"]) });
      } else if (!local && !(await store.isJoinedAnywhere(tx.db, userId))) {
        await store.removeUser(tx.db, userId);
      }
      return;
    }
    if ((event.type === "m.room.join_rules" || event.type === "m.room.history_visibility") && event.state_key === "") {
      await store.setRoomPublic(tx.db, context.head.room.roomNid, await isOpenRoom(context, events));
    }
  };
}

/** Whether the current state after the event has join rule public or history visibility world_readable. */
async function isOpenRoom(context: PersistContext, events: EventStore): Promise<boolean> {
  const contentOf = async (type: string): Promise<Record<string, unknown> | undefined> => {
    if (context.event.type === type) return context.event.content;
    const id = context.stateAfter.get(stateKey(type, ""));
    return id ? (await events.getById(id, context.tx.db))?.pdu.content : undefined;
  };
  if ((await contentOf("m.room.join_rules"))?.["join_rule"] === "public") return true;
  return (await contentOf("m.room.history_visibility"))?.["history_visibility"] === "world_readable";
}
