/**
 * Auth rule 1 of every room version: the `m.room.create` event, which is authorised by itself alone.
 */
import type { RoomEvent } from "../event.js";
import { findRoomVersion, type RoomVersion } from "../room-versions.js";
import { AuthError } from "./auth-state.js";
import { isValidUserId, serverNameOf } from "./user-ids.js";

export function checkCreateEvent(version: RoomVersion, event: RoomEvent): void {
  if (event.prev_events.length > 0) {
    throw new AuthError("create.prev_events", "create event has prev_events");
  }
  if (version.roomIdFromCreateEvent) {
    // The rule is "if the event has a room_id, reject". A RoomEvent always carries the room ID derived
    // from the create event's hash, so the presence of a wire `room_id` is for the format checks; what
    // we can still refuse is a create event whose room ID is anything but its own event ID.
    if (event.room_id !== `!${event.event_id.slice(1)}`) {
      throw new AuthError("create.room_id", "create event carries a room_id that is not derived from it");
    }
  } else if (serverNameOf(event.room_id) !== serverNameOf(event.sender)) {
    throw new AuthError("create.room_id_domain", "room ID domain does not match the sender's");
  }
  // Synapse reads an absent room_version as "1"; a non-string value is never a recognised version.
  const roomVersion = event.content["room_version"];
  if (roomVersion !== undefined && (typeof roomVersion !== "string" || !findRoomVersion(roomVersion))) {
    throw new AuthError("create.room_version", "create event names an unknown room version");
  }
  if (!version.implicitCreator && !("creator" in event.content)) {
    throw new AuthError("create.creator", "create event has no creator");
  }
  if (version.privilegedCreators && "additional_creators" in event.content) {
    const extra = event.content["additional_creators"];
    if (!Array.isArray(extra) || !extra.every((id) => typeof id === "string" && isValidUserId(id))) {
      throw new AuthError("create.additional_creators", "additional_creators must be an array of user IDs");
    }
  }
}
