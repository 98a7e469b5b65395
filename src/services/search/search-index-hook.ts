/**
 * Keeps the full-text index in step with the room (persist hook, inside the event's transaction):
 * m.room.message bodies and m.room.name / m.room.topic state are indexed as they are persisted; a
 * redaction takes its target out once the redaction hook (registered before this one) found it valid.
 */
import { SEARCHABLE_TYPES, searchableText } from "../../protocol/search-keys.js";
import type { EventStore } from "../../storage/event-store.js";
import type { SearchStore } from "../../storage/search-store.js";
import type { PersistHook } from "../rooms/event-persister.js";

export function searchIndexHook(search: SearchStore, events: EventStore): PersistHook {
  return async ({ tx, event, eventNid, streamOrdering, head }) => {
    if (SEARCHABLE_TYPES.has(event.type)) {
      // Messages are not state; names and topics are searched as the room's state events.
      const isState = typeof event.state_key === "string";
      const found = (event.type === "m.room.message") !== isState ? searchableText(event.type, event.content) : undefined;
      if (found) {
        await search.index(tx.db, {
          eventNid,
          roomNid: head.room.roomNid,
          sender: event.sender,
          key: found.key,
          streamOrdering,
          originServerTs: event.origin_server_ts,
          text: found.text,
        });
      }
    }
    if (event.type === "m.room.redaction" && typeof event.redacts === "string") {
      const target = (await events.eventNids([event.redacts], tx.db)).get(event.redacts);
      if (target !== undefined) await search.removeIfRedacted(tx.db, target);
    }
  };
}
