/**
 * Keeps the `threads` table (each thread's latest event) in step with persisted events: an m.thread
 * event becomes its thread's latest when it is newer; redacting one breaks its relation, so the
 * thread's latest event is recomputed (and the thread disappears when nothing is left of it). Runs
 * after the redaction hook, so redactions are already applied to their targets.
 */
import type { RelationStore } from "../../storage/relation-store.js";
import type { PersistContext, PersistHook } from "../rooms/event-persister.js";
import { relationOf } from "../rooms/room-event-view.js";

export function threadsHook(relations: RelationStore): PersistHook {
  return async (context: PersistContext) => {
    const { tx, event, head } = context;
    const relation = relationOf(event.content);
    if (relation?.relType === "m.thread" && !(await relations.isRedacted(tx.db, context.eventNid))) {
      await relations.noteThreadEvent(tx.db, head.room.roomNid, relation.eventId, context.eventNid, {
        depth: Number(context.pdu.depth),
        stream: context.streamOrdering,
      });
    }
    if (event.type === "m.room.redaction" && typeof event.redacts === "string") {
      const thread = await relations.threadRedactedBy(tx.db, event.redacts, context.eventNid);
      if (thread) await relations.refreshThread(tx.db, thread.roomNid, thread.threadId);
    }
  };
}
