/**
 * Filling a gap before a received event (server-server API "Retrieving events",
 * `POST /_matrix/federation/v1/get_missing_events/{roomId}`): asks the sending server for the events
 * between our forward extremities and the event, and returns those that pass the checks of receipt,
 * oldest first.
 */
import type { JsonValue } from "../../protocol/json.js";
import { isJsonObject } from "../../protocol/json.js";
import type { Pdu, RoomEvent } from "../../protocol/event.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { EventChecker } from "./event-checks.js";

/** What fetching needs of the federation client. */
export interface MissingEventsSource {
  request(destination: string, method: "POST", path: string, options: { body: Record<string, JsonValue> }): Promise<JsonValue>;
}

/** The spec's default; a longer gap is left for backfill. */
const LIMIT = 10;

export async function fetchMissingEvents(
  remote: MissingEventsSource,
  checker: EventChecker,
  origin: string,
  head: RoomHead,
  event: RoomEvent,
): Promise<{ pdu: Pdu; event: RoomEvent }[]> {
  let answer: JsonValue;
  try {
    answer = await remote.request(origin, "POST", `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(event.room_id)}`, {
      body: { earliest_events: [...head.extremities], latest_events: [event.event_id], limit: LIMIT, min_depth: 0 },
    });
  } catch {
    return [];
  }
  const raw = isJsonObject(answer) && Array.isArray(answer["events"]) ? answer["events"] : [];
  const out: { pdu: Pdu; event: RoomEvent }[] = [];
  for (const item of raw.slice(0, LIMIT)) {
    const checked = await checker.check(item, head.version);
    if (checked.ok && checked.event.room_id === event.room_id) out.push({ pdu: checked.pdu, event: checked.event });
  }
  return out.sort((a, b) => (a.event.depth ?? 0) - (b.event.depth ?? 0));
}
