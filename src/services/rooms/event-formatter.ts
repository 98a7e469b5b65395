/**
 * Events as clients see them (client-server API "Room event format"): the client fields of the PDU,
 * redacted if a valid redaction applies (with `unsigned.redacted_because`), and `unsigned` with `age`,
 * `prev_content`/`replaces_state`/`prev_sender` for state events, `transaction_id` for the sending
 * device, and whatever other areas add (bundled aggregations of relations).
 */
import { redactEvent } from "../../protocol/redaction.js";
import { findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import type { JsonObject } from "../../protocol/json.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Clock } from "../clock.js";

export interface Viewer {
  userId: string;
  deviceId?: string | undefined;
}

export interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  content: JsonObject;
  origin_server_ts: number;
  room_id?: string;
  state_key?: string;
  redacts?: string;
  unsigned: Record<string, unknown>;
}

/**
 * Adds keys to `unsigned` for a batch of events (e.g. bundled aggregations); keyed by event number.
 * Redacted events are passed too (`redactedByNid`): a redacted thread root keeps its thread summary.
 */
export type UnsignedProvider = (events: readonly StoredEvent[], viewer: Viewer | undefined) => Promise<Map<number, Record<string, unknown>>>;

export interface FormatOptions {
  viewer?: Viewer | undefined;
  /** Leave out room_id (sync's timeline and state, where the room is implied). */
  omitRoomId?: boolean;
  /** Add the unsigned providers' data (bundled aggregations); on by default. */
  bundle?: boolean;
}

export class EventFormatter {
  private readonly providers: UnsignedProvider[] = [];

  constructor(
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly clock: Clock,
  ) {}

  addUnsignedProvider(provider: UnsignedProvider): void {
    this.providers.push(provider);
  }

  private async versionOf(roomNid: number): Promise<RoomVersion> {
    const room = await this.rooms.getByNid(roomNid);
    return findRoomVersion(room?.roomVersion ?? "1") ?? (findRoomVersion("1") as RoomVersion);
  }

  async formatOne(stored: StoredEvent, options: FormatOptions = {}): Promise<ClientEvent> {
    return (await this.format([stored], options))[0] as ClientEvent;
  }

  async format(list: readonly StoredEvent[], options: FormatOptions = {}): Promise<ClientEvent[]> {
    if (list.length === 0) return [];
    const now = this.clock.now();
    const related = new Set<number>();
    for (const e of list) {
      if (e.prevStateEventNid !== null) related.add(e.prevStateEventNid);
      if (e.redactedByNid !== null) related.add(e.redactedByNid);
    }
    const relatedEvents = related.size > 0 ? await this.events.getByNids([...related]) : new Map<number, StoredEvent>();
    const txnIds =
      options.viewer?.deviceId !== undefined
        ? await this.events.txnIdsFor(
            list.filter((e) => e.pdu.sender === options.viewer?.userId).map((e) => e.nid),
            options.viewer.userId,
            options.viewer.deviceId,
          )
        : new Map<number, string>();
    const extra = new Map<number, Record<string, unknown>>();
    if (options.bundle ?? true) {
      for (const provider of this.providers) {
        for (const [nid, fields] of await provider(list, options.viewer)) extra.set(nid, { ...(extra.get(nid) ?? {}), ...fields });
      }
    }
    const out: ClientEvent[] = [];
    for (const stored of list) {
      const version = await this.versionOf(stored.roomNid);
      let pdu = stored.pdu as unknown as Record<string, unknown>;
      const unsigned: Record<string, unknown> = { age: Math.max(0, now - Number(pdu["origin_server_ts"])) };
      const redaction = stored.redactedByNid !== null ? relatedEvents.get(stored.redactedByNid) : undefined;
      if (redaction) {
        pdu = redactEvent(pdu, version) as Record<string, unknown>;
        unsigned["redacted_because"] = await this.formatOne(redaction, { ...options, bundle: false });
      }
      if (typeof pdu["state_key"] === "string" && stored.prevStateEventNid !== null) {
        const prev = relatedEvents.get(stored.prevStateEventNid);
        if (prev) {
          unsigned["replaces_state"] = prev.eventId;
          unsigned["prev_sender"] = prev.pdu.sender;
          unsigned["prev_content"] = prev.redactedByNid !== null ? (redactEvent(prev.pdu, version) as { content: JsonObject }).content : prev.pdu.content;
        }
      }
      const txnId = txnIds.get(stored.nid);
      if (txnId !== undefined) unsigned["transaction_id"] = txnId;
      const more = extra.get(stored.nid);
      if (more) Object.assign(unsigned, more);
      const event: ClientEvent = {
        event_id: stored.eventId,
        type: pdu["type"] as string,
        sender: pdu["sender"] as string,
        content: (pdu["content"] ?? {}) as JsonObject,
        origin_server_ts: Number(pdu["origin_server_ts"]),
        unsigned,
      };
      if (!options.omitRoomId) {
        const room = await this.rooms.getByNid(stored.roomNid);
        if (room) event.room_id = room.roomId;
      }
      if (typeof pdu["state_key"] === "string") event.state_key = pdu["state_key"];
      const redacts = version.redactsInContent ? (pdu["content"] as JsonObject | undefined)?.["redacts"] : pdu["redacts"];
      if (typeof redacts === "string") {
        event.redacts = redacts;
        // v11+ carry it in content; clients written for older versions read the top level too.
      }
      out.push(event);
    }
    return out;
  }
}
