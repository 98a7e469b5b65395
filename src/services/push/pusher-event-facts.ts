/**
 * What a push says about an event besides the recipient's counts: its fields, the sender's display
 * name, and the room's name and alias (Push Gateway API `notification`). Read from the room's current
 * state when the push is made (as Synapse names rooms at push time). Every member of a room is pushed
 * about the same event, so an event's facts are read once and shared; only the name of a room without
 * `m.room.name` or alias depends on who is asked (it is made of the other members' names, as the
 * spec's "Calculating the display name for a room" and Synapse's push names).
 */
import type { JsonObject } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { lruCache } from "../../lru.js";

export interface EventFacts {
  eventId: string;
  roomId: string;
  roomNid: number;
  type: string;
  sender: string;
  stateKey: string | undefined;
  content: JsonObject;
  senderDisplayName: string;
  /** m.room.name, else the canonical alias; undefined when the room has neither. */
  roomName: string | undefined;
  roomAlias: string | undefined;
  /** For a room without a name: its joined and invited members, and the first three of them to join. */
  members: { count: number; first: string[] } | undefined;
}

export class EventFactsReader {
  private readonly memo = lruCache<number, Promise<EventFacts | undefined>>(2_000, { ttl: 60_000 });

  constructor(
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly heads: CurrentStateCache,
    private readonly reader: RoomStateReader,
  ) {}

  /** The event's facts; undefined when it is gone or redacted (nothing to push about). */
  facts(eventNid: number): Promise<EventFacts | undefined> {
    let pending = this.memo.get(eventNid);
    if (!pending) {
      pending = this.read(eventNid);
      this.memo.set(eventNid, pending);
      pending.catch(() => this.memo.delete(eventNid));
    }
    return pending;
  }

  /** The room's name as `userId` sees it: the facts' name, else one made of the other members' names. */
  async roomNameFor(facts: EventFacts, userId: string): Promise<string | undefined> {
    if (facts.roomName !== undefined) return facts.roomName;
    const head = await this.heads.find(facts.roomId);
    if (!head) return undefined;
    const own = await this.reader.content(head, "m.room.member", userId);
    if (own?.["membership"] === "invite") {
      const inviter = (await this.reader.event(head, "m.room.member", userId))?.pdu.sender;
      if (inviter !== undefined) return `Invite from ${await this.displayName(head, inviter)}`;
    }
    // The first two others to join, as the room summary's heroes are chosen (from the first three of all).
    const members = facts.members ?? { count: 0, first: [] };
    const mine = own?.["membership"] === "join" || own?.["membership"] === "invite" ? 1 : 0;
    const others = members.count - mine;
    const [first, second] = members.first.filter((id) => id !== userId);
    if (others <= 0 || first === undefined) return undefined;
    const firstName = await this.displayName(head, first);
    if (others === 1 || second === undefined) return firstName;
    if (others === 2) return `${firstName} and ${await this.displayName(head, second)}`;
    return `${firstName} and ${others - 1} others`;
  }

  private async read(eventNid: number): Promise<EventFacts | undefined> {
    const stored = (await this.events.getByNids([eventNid])).get(eventNid);
    if (!stored || stored.redactedByNid !== null) return undefined;
    const pdu = stored.pdu;
    // Room version 12 create events carry no room_id: the room's record names it.
    const room = await this.rooms.getByNid(stored.roomNid);
    const head = room && (await this.heads.find(room.roomId));
    if (!head) return undefined;
    const name = (await this.reader.content(head, "m.room.name"))?.["name"];
    const alias = (await this.reader.content(head, "m.room.canonical_alias"))?.["alias"];
    const roomAlias = typeof alias === "string" && alias !== "" ? alias : undefined;
    const roomName = typeof name === "string" && name !== "" ? name : roomAlias;
    const summary = roomName === undefined ? await this.rooms.summary(stored.roomNid, "", 3) : undefined;
    return {
      eventId: stored.eventId,
      roomId: head.room.roomId,
      roomNid: stored.roomNid,
      type: pdu.type,
      sender: pdu.sender,
      stateKey: typeof pdu.state_key === "string" ? pdu.state_key : undefined,
      content: pdu.content,
      senderDisplayName: await this.displayName(head, pdu.sender),
      roomName,
      roomAlias,
      members: summary && { count: summary.joined + summary.invited, first: summary.heroes },
    };
  }

  /** A member's display name in the room, or their user ID (Synapse's name_from_member_event). */
  private async displayName(head: RoomHead, userId: string): Promise<string> {
    const name = (await this.reader.content(head, "m.room.member", userId))?.["displayname"];
    return typeof name === "string" && name !== "" ? name : userId;
  }
}
