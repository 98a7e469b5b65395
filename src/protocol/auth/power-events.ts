/**
 * Power events, for the ordering of state resolution v2 (rooms/fragments/v2-state-res.md "Power events"):
 * events that may take away someone's ability to act, so they are resolved first.
 */
import type { RoomEvent } from "../event.js";

/**
 * A power levels or join rules state event, or a member event with `leave` or `ban` whose sender is not
 * its target (a kick, ban or unban). We also count the `m.room.create` event, as Synapse and Ruma do:
 * it only enters a conflicted set in a broken room, and then it must sort with the power events, before
 * anything it authorises.
 */
export function isPowerEvent(event: RoomEvent): boolean {
  switch (event.type) {
    case "m.room.power_levels":
    case "m.room.join_rules":
    case "m.room.create":
      return event.state_key === "";
    case "m.room.member": {
      if (event.state_key === undefined) return false;
      const membership = event.content["membership"];
      return (membership === "leave" || membership === "ban") && event.sender !== event.state_key;
    }
    default:
      return false;
  }
}
