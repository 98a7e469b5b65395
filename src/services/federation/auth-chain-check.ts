/**
 * Events received together (a send_join answer, a room's state, fetched auth chains) checked against
 * the auth rules with their own auth events, which must themselves be known and accepted: parents
 * usually come first by depth, but nothing requires it, so passes go on while any event is accepted.
 */
import type { RoomEvent } from "../../protocol/event.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import { authByAuthEvents, type EventLookup } from "./event-checks-auth.js";

export interface Authorised<T> {
  /** By event ID, in the order they were accepted. */
  readonly accepted: Map<string, T>;
  /** With the reason of their last refusal. */
  readonly refused: { item: T; reason: string }[];
}

/** `known` looks up events accepted earlier (stored ones); events of `items` come first. */
export function authoriseTogether<T extends { event: RoomEvent }>(version: RoomVersion, items: readonly T[], known: EventLookup = () => undefined): Authorised<T> {
  const accepted = new Map<string, T>();
  const lookup = (id: string): RoomEvent | undefined => accepted.get(id)?.event ?? known(id);
  let pending = [...items].sort((a, b) => (a.event.depth ?? 0) - (b.event.depth ?? 0));
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const next: T[] = [];
    for (const item of pending) {
      if (authByAuthEvents(version, item.event, lookup) === undefined) {
        accepted.set(item.event.event_id, item);
        progress = true;
      } else next.push(item);
    }
    pending = next;
  }
  return { accepted, refused: pending.map((item) => ({ item, reason: authByAuthEvents(version, item.event, lookup) ?? "" })) };
}
