/**
 * Whether an event belongs to the thread a threaded receipt names (client-server API "Threaded read
 * receipts"). An event is in a thread when it has an m.thread relation, or relates (within a few hops)
 * to an event that has one; everything else, thread roots included, is the main timeline.
 */
import type { StoredEvent } from "../../storage/event-store.js";
import { relationOf } from "../rooms/room-event-view.js";

/** The spec recommends following at most 3 relation hops. */
const MAX_HOPS = 3;

export const MAIN_THREAD = "main";

type Load = (eventId: string) => Promise<StoredEvent | undefined>;

/**
 * Whether a receipt for `threadId` may point at `event`. For a thread root R the event qualifies if it
 * is in R's thread, is R itself, or relates to R (a reaction on the root), as Synapse accepts; for
 * "main" the event must not be in any thread.
 */
export async function eventFitsThread(event: StoredEvent, threadId: string, load: Load): Promise<boolean> {
  let current: StoredEvent | undefined = event;
  for (let hop = 0; current && hop <= MAX_HOPS; hop++) {
    if (threadId !== MAIN_THREAD && current.eventId === threadId) return true;
    const relation = relationOf(current.pdu.content);
    if (!relation) return threadId === MAIN_THREAD;
    if (relation.relType === "m.thread") return relation.eventId === threadId;
    current = await load(relation.eventId);
  }
  // The chain ends at an unknown event or runs too long: no thread relation was seen.
  return threadId === MAIN_THREAD;
}
