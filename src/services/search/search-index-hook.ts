/**
 * Keeps the full-text index in step with the room (persist hook, inside the event's transaction):
 * m.room.message bodies and m.room.name / m.room.topic state are indexed as they are persisted (those
 * built here, with an indexer, just after); a redaction takes its target out once the redaction hook
 * (registered before this one) found it valid.
 */
import { searchableTextOfEvent } from "../../protocol/search-keys.js";
import type { EventStore } from "../../storage/event-store.js";
import type { SearchStore } from "../../storage/search-store.js";
import type { PersistHook } from "../rooms/event-persister.js";
import type { SearchIndexer } from "./search-indexer.js";

export function searchIndexHook(search: SearchStore, events: EventStore, indexer?: SearchIndexer): PersistHook {
  return async ({ tx, event, eventNid, streamOrdering, head, createdHere, afterCommit }) => {
    const found = searchableTextOfEvent(event);
    if (found) {
      const row = {
        eventNid,
        roomNid: head.room.roomNid,
        sender: event.sender,
        key: found.key,
        streamOrdering,
        originServerTs: event.origin_server_ts,
        text: found.text,
      };
      // An event built here is indexed after its commit, in a batch (search-indexer.ts).
      if (indexer && createdHere) afterCommit(() => indexer.add(row));
      else await search.index(tx.db, row);
    }
    if (event.type === "m.room.redaction" && typeof event.redacts === "string") {
      const target = (await events.eventNids([event.redacts], tx.db)).get(event.redacts);
      if (target !== undefined) await search.removeIfRedacted(tx.db, target);
    }
  };
}
