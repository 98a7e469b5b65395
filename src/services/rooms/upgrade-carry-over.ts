/**
 * After a room upgrade, a local user's personal settings for the old room follow them into the new
 * one when they join it (client-server API "Room upgrades", server behaviour: the server "should
 * automatically transfer/replicate some of the user's personalized settings such as notifications,
 * tags, etc."). As Synapse: the room's tags are copied unless the user already tagged the new room,
 * and the new room joins the old one wherever `m.direct` lists it. Room-specific push rules are left
 * to the push-rules area.
 *
 * A persist hook notices the join (the upgrader's, made by createRoom, included) and does the copy
 * after the commit: the copy is account data, written in its own transactions, and a failure is
 * logged without undoing the join.
 */
import type { Logger } from "../../logger.js";
import { stateKey } from "../../protocol/event.js";
import { isJsonObject } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { AccountDataContent, AccountDataService } from "../user-data/account-data-service.js";
import type { PersistHook } from "./event-persister.js";

const TAG_TYPE = "m.tag";
const DIRECT_TYPE = "m.direct";

const hasTags = (content: AccountDataContent | undefined): boolean => isJsonObject(content?.["tags"]) && Object.keys(content["tags"] as object).length > 0;

/** `m.direct` with `newRoomId` added next to every listing of `oldRoomId`; undefined when nothing changes. */
export function directWithReplacement(current: AccountDataContent | undefined, oldRoomId: string, newRoomId: string): AccountDataContent | undefined {
  if (!current) return undefined;
  let changed = false;
  const next: AccountDataContent = {};
  for (const [userId, rooms] of Object.entries(current)) {
    if (Array.isArray(rooms) && rooms.includes(oldRoomId) && !rooms.includes(newRoomId)) {
      next[userId] = [...(rooms as unknown[]), newRoomId];
      changed = true;
    } else {
      next[userId] = rooms;
    }
  }
  return changed ? next : undefined;
}

export class UpgradeCarryOver {
  constructor(
    private readonly accountData: AccountDataService,
    private readonly log: Logger,
  ) {}

  /** Copies `userId`'s tags and `m.direct` listings of `oldRoomId` to `newRoomId`. */
  async carryOver(userId: string, oldRoomId: string, newRoomId: string): Promise<void> {
    const oldTags = await this.accountData.get(userId, oldRoomId, TAG_TYPE);
    if (hasTags(oldTags)) {
      await this.accountData.update(userId, newRoomId, TAG_TYPE, (current) => (hasTags(current) ? undefined : { tags: oldTags!["tags"] }));
    }
    await this.accountData.update(userId, "", DIRECT_TYPE, (current) => directWithReplacement(current, oldRoomId, newRoomId));
  }

  /** The persist hook: a local user's first join of a room whose create event names a predecessor. */
  hook(events: EventStore, serverName: string): PersistHook {
    return async (context) => {
      const { event } = context;
      if (event.type !== "m.room.member" || typeof event.state_key !== "string" || event.content["membership"] !== "join") return;
      const userId = event.state_key;
      if (!userId.endsWith(`:${serverName}`)) return;
      const previous = context.stateBefore.get(stateKey("m.room.member", userId));
      if (previous !== undefined && (await events.getById(previous, context.tx.db))?.pdu.content["membership"] === "join") return;
      const createId = context.stateAfter.get(stateKey("m.room.create", ""));
      const create = createId === undefined ? undefined : await events.getById(createId, context.tx.db);
      const predecessor = create?.pdu.content["predecessor"];
      const oldRoomId = isJsonObject(predecessor) ? predecessor["room_id"] : undefined;
      if (typeof oldRoomId !== "string") return;
      const newRoomId = event.room_id;
      context.afterCommit(() => {
        this.carryOver(userId, oldRoomId, newRoomId).catch((error: unknown) => {
          this.log.warn({ err: error, userId, oldRoomId, newRoomId }, "room upgrade: could not carry the user's settings over");
        });
      });
    };
  }
}
